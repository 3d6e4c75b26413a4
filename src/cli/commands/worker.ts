/**
 * `sluice worker [--redis URL] [--queue NAME] [--concurrency n] [--worker-id id] [--tls-ca f] [--tls-cert f]
 * [--tls-key f] [--allow-insecure] [--shutdown-grace ms]`
 *
 * Runs a distributed worker until SIGTERM or Ctrl-C: it serves every flow run the distributed executor
 * puts on queue NAME. Made to run as a local process, a pod or an ECS task: every flag has a
 * configuration key (SLUICE__EXECUTOR__REDIS_URL, _REDIS_PASSWORD, _QUEUE_PREFIX, _WORKER_CONCURRENCY,
 * _REDIS_TLS_CA_FILE, _REDIS_TLS_CERT_FILE, _REDIS_TLS_KEY_FILE, _ALLOW_INSECURE_REDIS,
 * _RESULT_STORE_ACCESS_KEY_ID, ...). Prints one "ready" line on stdout once it serves the queue.
 * The first signal stops taking jobs and lets running ones finish (--shutdown-grace); a second exits at once.
 * Exit codes: 0 stopped, 1 Redis unusable, 2 bad options.
 */
import type { Command } from "commander";
import { loadConfig } from "../../config/index.js";
import { SluiceError } from "../../core/errors.js";
import { createLogger } from "../../core/logger.js";
import { EXIT } from "../output.js";

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
    throw new SluiceError("INVALID_INPUT", `${flag} ${JSON.stringify(text)} is not a whole number ≥ ${min}`, { field: flag, value: text });
  }
  return n;
}

export function register(program: Command): void {
  program
    .command("worker")
    .description("Run a distributed worker: run the tasks the distributed executor queues on Redis")
    .option("--redis <url>", "Redis URL, redis:// or rediss:// (TLS) (default: SLUICE__EXECUTOR__REDIS_URL)")
    .option("--queue <name>", 'the executor\'s queuePrefix (default: SLUICE__EXECUTOR__QUEUE_PREFIX, else "sluice")')
    .option("--concurrency <n>", "task attempts run at once (default: SLUICE__EXECUTOR__WORKER_CONCURRENCY, else 4)")
    .option("--worker-id <id>", "this worker's id (default: <host>-<pid>-<random>)")
    .option("--tls-ca <file>", "PEM CA of the Redis server's certificate")
    .option("--tls-cert <file>", "PEM client certificate for Redis")
    .option("--tls-key <file>", "PEM key of --tls-cert")
    .option("--allow-insecure", "accept a non-loopback redis:// URL without password or TLS")
    .option("--shutdown-grace <ms>", "on SIGTERM, how long running tasks may take to finish (default 10000)")
    .action(async (options: WorkerCommandOptions) => {
      process.exitCode = await workerCommand(options);
    });
}

export async function workerCommand(options: WorkerCommandOptions): Promise<number> {
  const config = loadConfig();
  const { DistributedWorker, redisSpecFromConfig, resultStoreCredentialsFromConfig } = await import("../../executors/distributed/index.js");
  const e = config.executor;
  const fromConfig = redisSpecFromConfig(config);
  const url = options.redis ?? e.redisUrl;
  if (url === undefined) {
    throw new SluiceError("INVALID_INPUT", "sluice worker needs a Redis URL: pass --redis redis://host:6379 or set SLUICE__EXECUTOR__REDIS_URL", { field: "--redis" });
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
