/**
 * What `sluice server start` does (flags in commands/server.ts): starts the server (API, database,
 * services) and runs it until SIGINT or SIGTERM. The server's modules (fastify, database drivers) are
 * loaded only here.
 */
import pino from "pino";
import { loadConfig } from "../../config/index.js";
import { EXIT, printJson } from "../output.js";
import { untilStopSignal } from "../stop-signal.js";

export interface ServerStartOptions {
  host?: string;
  /** Already parsed by the command. */
  port?: number;
  databaseUrl?: string;
  json?: boolean;
}

export async function startServerCommand(options: ServerStartOptions): Promise<number> {
  const overrides: Record<string, unknown> = {};
  if (options.databaseUrl !== undefined) overrides.server = { databaseUrl: options.databaseUrl };
  const config = loadConfig({ overrides });
  const [{ startServer }, { redactUrl }, { databaseUrlOf }] = await Promise.all([
    import("../../server/start.js"),
    import("../../server/database/index.js"),
    import("../../server/bootstrap.js"),
  ]);
  const running = await startServer({
    config,
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.port === undefined ? {} : { port: options.port }),
    logStream: pino.destination({ dest: 2, sync: false }),
  });
  const database = redactUrl(databaseUrlOf(config));
  if (options.json) printJson({ url: running.url, database, auth: config.server.auth });
  else process.stdout.write(`Sluice server listening on ${running.url} (database ${database}${config.server.auth ? ", auth on" : ""}); stop it with Ctrl-C\n`);
  await untilStopSignal();
  await running.close();
  return EXIT.ok;
}
