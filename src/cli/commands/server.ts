/**
 * `sluice server start [--host h] [--port p] [--database-url url] [--json]`: runs the Sluice server (API,
 * database, services) until SIGINT or SIGTERM. The server's JSON log lines go to stderr; stdout gets one
 * line (or one JSON document with --json) once it listens. Exit codes: 0 stopped by a signal, 1 it could
 * not start (port in use, database unreachable), 2 bad input. The server itself is loaded by
 * actions/server.ts when the command runs, so other commands never load its dependencies.
 */
import type { Command } from "commander";
import { SluiceError, showValue } from "../../core/errors.js";

interface StartOptions {
  host?: string;
  port?: string;
  databaseUrl?: string;
  json?: boolean;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new SluiceError("INVALID_INPUT", `--port ${showValue(value)} is not a port; give a number from 0 to 65535 (0 picks a free one)`, {
      field: "--port",
      value,
    });
  }
  return port;
}

export function register(program: Command): void {
  const server = program.command("server").description("Run the Sluice server (API, database, services)");
  server
    .command("start")
    .description("Start the server; it runs until SIGINT or SIGTERM")
    .option("--host <address>", "address to listen on (default: server.host, 127.0.0.1)")
    .option("--port <port>", "port to listen on; 0 picks a free one (default: server.port, 4200)")
    .option("--database-url <url>", 'database: "sqlite:<path>" or "postgres://..." (default: SQLite at <home>/sluice.db)')
    .option("--json", "print { url, database } as JSON once listening")
    .action(async (options: StartOptions) => {
      const port = options.port === undefined ? undefined : parsePort(options.port);
      const { startServerCommand } = await import("../actions/server.js");
      process.exitCode = await startServerCommand({ ...options, port });
    });
}
