/** Every CLI command, one module each. Add a command: write commands/<name>.ts exporting register(), add it here. */
import type { Command } from "commander";

export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [];
