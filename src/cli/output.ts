/** Shared output conventions of CLI commands: exit codes, --json printing, TTY detection. */

/** Exit codes of every command: 0 success, 1 a failed run or operation, 2 bad input. */
export const EXIT = { ok: 0, failed: 1, badInput: 2 } as const;

/** Prints a value as one JSON document on stdout (for --json). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** True when stdout is an interactive terminal (live displays); false in pipes, CI and tests. */
export function isInteractive(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && process.env.CI !== "true" && process.env.TERM !== "dumb";
}
