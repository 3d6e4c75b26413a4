/**
 * Every CLI command, one module each. Add a command: write commands/<name>.ts exporting register(), add it
 * here. A command module only defines and parses its options; its action imports the implementation
 * (src/cli/actions/<name>.ts, or the module doing the work) when it runs, so starting the CLI loads no
 * command's code and `sluice run` loads only its own.
 */
import type { Command } from "commander";
import { register as build } from "./build.js";
import { register as agent } from "./agent.js";
import { register as auth } from "./auth.js";
import { register as execute } from "./execute.js";
import { register as flowRun } from "./flow-run.js";
import { register as flows } from "./flows.js";
import { register as registerFlows } from "./register.js";
import { register as run } from "./run.js";
import { register as secret } from "./secret.js";
import { register as server } from "./server.js";
import { register as worker } from "./worker.js";

export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [run, flows, build, execute, worker, server, registerFlows, flowRun, secret, auth, agent];
