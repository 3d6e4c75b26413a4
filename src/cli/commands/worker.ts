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
 * Exit codes: 0 stopped, 1 Redis unusable, 2 bad options. The worker is in actions/worker.ts, imported
 * when the command runs.
 */
import type { Command } from "commander";
import type { WorkerCommandOptions } from "../actions/worker.js";

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
      const { workerCommand } = await import("../actions/worker.js");
      process.exitCode = await workerCommand(options);
    });
}
