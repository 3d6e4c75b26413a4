/**
 * `sluice server start [--host h] [--port p] [--database-url url] [--json]`: runs the Sluice server (API,
 * database, services) until SIGINT or SIGTERM. The server's JSON log lines go to stderr; stdout gets one
 * line (or one JSON document with --json) once it listens. Exit codes: 0 stopped by a signal, 1 it could
 * not start (port in use, database unreachable), 2 bad input.
 */
import type { Command } from "commander";
import pino from "pino";
import { loadConfig } from "../../config/index.js";
import { SluiceError, showValue } from "../../core/errors.js";
import { EXIT, printJson } from "../output.js";

interface StartOptions {
  host?: string;
  port?: string;
  databaseUrl?: string;
  json?: boolean;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    throw new SluiceError("INVALID_INPUT", `--port ${showValue(value)} is not a port; give a number from 0 to 65535 (0 picks a free one)`, { field: "--port", value });
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
      const overrides: Record<string, unknown> = {};
      if (options.databaseUrl !== undefined) overrides.server = { databaseUrl: options.databaseUrl };
      const config = loadConfig({ overrides });
      // Loaded here, so other commands never load the server's dependencies (fastify, database drivers).
      const [{ startServer }, { redactUrl }, { databaseUrlOf }] = await Promise.all([
        import("../../server/start.js"),
        import("../../server/database/index.js"),
        import("../../server/bootstrap.js"),
      ]);
      const running = await startServer({
        config,
        ...(options.host === undefined ? {} : { host: options.host }),
        ...(options.port === undefined ? {} : { port: parsePort(options.port) }),
        logStream: pino.destination({ dest: 2, sync: false }),
      });
      const database = redactUrl(databaseUrlOf(config));
      if (options.json) printJson({ url: running.url, database, auth: config.server.auth });
      else process.stdout.write(`Sluice server listening on ${running.url} (database ${database}${config.server.auth ? ", auth on" : ""}); stop it with Ctrl-C\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          process.removeListener("SIGINT", stop);
          process.removeListener("SIGTERM", stop);
          resolve();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
      await running.close();
      process.exitCode = EXIT.ok;
    });
}
