/**
 * What `sluice worker` does (flags in commands/worker.ts): a distributed worker serving the queue the
 * distributed executor fills, until SIGTERM or Ctrl-C (the first lets running tasks finish).
 */
import { loadConfig } from "../../config/index.js";
import { SluiceError } from "../../core/errors.js";
import { createLogger } from "../../core/logger.js";
import { DistributedWorker, redisSpecFromConfig, resultStoreCredentialsFromConfig } from "../../executors/distributed/index.js";
import { EXIT } from "../output.js";

/** The options of `sluice worker`, as commander parses them (strings; the action validates them). */
export interface WorkerCommandOptions {
  redis?: string;
  queue?: string;
  concurrency?: string;
  workerId?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  allowInsecure?: boolean;
  shutdownGrace?: string;
}

function wholeNumber(flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    throw new SluiceError("INVALID_INPUT", `${flag} ${JSON.stringify(text)} is not a whole number ≥ ${min}; give one, e.g. ${flag} ${Math.max(min, 1) * 4}`, {
      field: flag,
      value: text,
    });
  }
  return n;
}

export async function workerCommand(options: WorkerCommandOptions): Promise<number> {
  const config = loadConfig();
  const e = config.executor;
  const fromConfig = redisSpecFromConfig(config);
  const url = options.redis ?? e.redisUrl;
  if (url === undefined) {
    throw new SluiceError("INVALID_INPUT", "sluice worker needs a Redis URL: pass --redis redis://host:6379 or set SLUICE__EXECUTOR__REDIS_URL", {
      field: "--redis",
    });
  }
  const tls = {
    ...(typeof fromConfig === "object" ? fromConfig.tls : undefined),
    ...(options.tlsCa === undefined ? {} : { caFile: options.tlsCa }),
    ...(options.tlsCert === undefined ? {} : { certFile: options.tlsCert }),
    ...(options.tlsKey === undefined ? {} : { keyFile: options.tlsKey }),
  };
  const logger = createLogger({ level: config.logging.level });
  const worker = new DistributedWorker({
    redis: {
      url,
      ...(e.redisPassword === undefined ? {} : { password: e.redisPassword }),
      ...(Object.keys(tls).length === 0 ? {} : { tls }),
    },
    queuePrefix: options.queue ?? e.queuePrefix,
    concurrency: wholeNumber("--concurrency", options.concurrency, 1) ?? e.workerConcurrency,
    ...(options.workerId === undefined ? {} : { workerId: options.workerId }),
    allowInsecure: options.allowInsecure === true || e.allowInsecureRedis,
    resultStoreCredentials: resultStoreCredentialsFromConfig(config),
    shutdownGraceMs: wholeNumber("--shutdown-grace", options.shutdownGrace, 0) ?? 10_000,
    logger,
  });
  await worker.start();
  process.stdout.write(`sluice worker ${worker.id} ready: queue "${worker.queuePrefix}" at ${worker.redis.display}, concurrency ${worker.concurrency}\n`);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) process.exit(EXIT.failed);
      stopping = true;
      process.stderr.write(`sluice worker ${worker.id}: ${signal}, finishing running tasks (a second signal exits at once)\n`);
      void worker.stop().then(resolve, resolve);
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  // A task that ignored its cancellation may still hold a timer; the worker is done regardless.
  setTimeout(() => process.exit(EXIT.ok), 1000).unref();
  return EXIT.ok;
}
