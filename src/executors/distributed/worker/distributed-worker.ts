/**
 * A distributed worker: the process behind `sluice worker`. It serves every flow run announced on its
 * queue prefix, running at most `concurrency` task attempts at once across all of them.
 *
 * - Heartbeat: `<p>:workers` holds this worker's id with the time of its last beat (pinning uses it).
 * - Runs: found in `<p>:runs` at start and every few seconds, and when "started" is published; a run
 *   whose process stopped refreshing its alive key is dropped, and its leftovers removed (once).
 * - stop(): stops taking jobs, lets running attempts finish for `shutdownGraceMs`, then leaves the rest
 *   to BullMQ (their claims expire and other workers take them over).
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { SluiceError, showValue } from "../../../core/errors.js";
import { createLogger } from "../../../core/logger.js";
import { openResultStore, type ResultStoreCredentials } from "../../../storage/results/index.js";
import { isSafeName, poolKeys, runKeys, type PoolKeys } from "../keys.js";
import { parseControl, PROTOCOL_VERSION, WORKER_HEARTBEAT_MS, type RunMeta } from "../protocol.js";
import { compileRedis, connectRedis, type CompiledRedis, type RedisSpec } from "../redis-connection.js";
import { Gate } from "./gate.js";
import { RunAttachment, type AttachmentContext } from "./run-attachment.js";

export interface DistributedWorkerOptions {
  /** The broker, as for the executor: a URL or { url, password, tls }. @default none: required */
  redis: RedisSpec;
  /** The executor's queuePrefix. @default "sluice" */
  queuePrefix?: string;
  /** Task attempts this process runs at once, over all runs. @default 4 */
  concurrency?: number;
  /** This worker's id (letters, digits, ".", "_", "-"). @default "<host>-<pid>-<random>" */
  workerId?: string;
  /** Accept a non-loopback redis:// URL without password or TLS. @default false */
  allowInsecure?: boolean;
  /** Credentials for runs whose result store is s3://. @default undefined */
  resultStoreCredentials?: ResultStoreCredentials;
  /** On stop, how long running attempts may take to finish, in ms. @default 10000 */
  shutdownGraceMs?: number;
  /** Where the worker's own messages go. @default a pino logger on stderr at "info" */
  logger?: Logger;
  /** Directory flow modules given by relative path are resolved from. @default process.cwd() */
  cwd?: string;
}

/** How often the runs set is read again (missed announcements, runs that ended without saying so). */
const SWEEP_MS = 2000;
/** Heartbeats older than this are removed from `<p>:workers` by whoever sees them. */
const FORGET_WORKERS_AFTER_MS = 60_000;
/** How long stop() waits on Redis beyond shutdownGraceMs before it disconnects without it. */
const STOP_MARGIN_MS = 3000;

export class DistributedWorker {
  readonly id: string;
  readonly queuePrefix: string;
  readonly concurrency: number;
  readonly redis: CompiledRedis;
  readonly #options: DistributedWorkerOptions;
  readonly #pool: PoolKeys;
  readonly #logger: Logger;
  readonly #gate: Gate;
  readonly #runs = new Map<string, Promise<RunAttachment | null>>();
  readonly #timers: NodeJS.Timeout[] = [];
  #conn: Redis | undefined;
  #sub: Redis | undefined;
  #context: AttachmentContext | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: DistributedWorkerOptions) {
    const bad = (field: string, value: unknown, expected: string): SluiceError =>
      new SluiceError("INVALID_OPTION", `sluice worker: ${field} is ${showValue(value)}; ${expected}`, { field, value, kind: "distributed" });
    this.redis = compileRedis(options.redis, { allowInsecure: options.allowInsecure === true, field: "redis" });
    this.queuePrefix = options.queuePrefix ?? "sluice";
    if (!isSafeName(this.queuePrefix)) throw bad("queue", this.queuePrefix, "use letters, digits, '.', '_' and '-' (the executor's queuePrefix)");
    this.concurrency = options.concurrency ?? 4;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw bad("concurrency", options.concurrency, "use a whole number ≥ 1");
    const host =
      hostname()
        .replace(/[^A-Za-z0-9_.-]/g, "-")
        .slice(0, 40) || "host";
    this.id = options.workerId ?? `${host}-${process.pid}-${randomBytes(3).toString("hex")}`;
    if (!isSafeName(this.id)) throw bad("workerId", this.id, "use letters, digits, '.', '_' and '-' (at most 80)");
    const grace = options.shutdownGraceMs ?? 10_000;
    if (!Number.isInteger(grace) || grace < 0) throw bad("shutdownGraceMs", grace, "use a whole number of ms ≥ 0");
    this.#options = { ...options, shutdownGraceMs: grace };
    this.#pool = poolKeys(this.queuePrefix);
    this.#logger = (options.logger ?? createLogger({ level: "info" })).child({ worker: this.id });
    this.#gate = new Gate(this.concurrency);
  }

  /** Flow runs this worker serves now. */
  get runCount(): number {
    return this.#runs.size;
  }

  /** Connects (failing fast when Redis cannot be used), registers the worker and starts serving runs. */
  async start(): Promise<void> {
    const { Worker } = await import("bullmq");
    const conn = await connectRedis(this.redis, `sluice-worker-${this.id}`);
    let sub: Redis;
    try {
      sub = await connectRedis(this.redis, `sluice-worker-${this.id}-control`);
    } catch (error) {
      conn.disconnect();
      throw error;
    }
    this.#conn = conn;
    this.#sub = sub;
    this.#context = {
      conn,
      Worker,
      queuePrefix: this.queuePrefix,
      workerId: this.id,
      gate: this.#gate,
      logger: this.#logger,
      cwd: this.#options.cwd ?? process.cwd(),
    };
    sub.on("message", (_channel: string, text: string) => this.#onControl(text));
    await sub.subscribe(this.#pool.control);
    await this.#beat();
    this.#timers.push(setInterval(() => void this.#beat(), WORKER_HEARTBEAT_MS));
    await this.#sweep();
    this.#timers.push(setInterval(() => void this.#sweep(), SWEEP_MS));
    this.#logger.info(`worker ${this.id} serving queue "${this.queuePrefix}" at ${this.redis.display} (concurrency ${this.concurrency})`);
  }

  async #beat(): Promise<void> {
    const now = Date.now();
    try {
      await this.#conn!.multi()
        .zadd(this.#pool.workers, now, this.id)
        .zremrangebyscore(this.#pool.workers, "-inf", now - FORGET_WORKERS_AFTER_MS)
        .exec();
    } catch (error) {
      this.#logger.warn({ err: error }, `heartbeat to Redis at ${this.redis.display} failed`);
    }
  }

  #onControl(text: string): void {
    const message = parseControl(text);
    if (!message || this.#stopping) return;
    switch (message.type) {
      case "started":
        this.#attach(message.tag);
        break;
      case "ended":
        void this.#detach(message.tag, "the flow run ended");
        break;
      case "cancel":
        void this.#runs.get(message.tag)?.then((run) => run?.cancel(message.jobs));
        break;
    }
  }

  async #sweep(): Promise<void> {
    if (this.#stopping) return;
    const conn = this.#conn!;
    try {
      const tags = await conn.smembers(this.#pool.runs);
      const alive = tags.length === 0 ? [] : ((await conn.pipeline(tags.map((t) => ["exists", runKeys(this.queuePrefix, t).alive])).exec()) ?? []);
      const listed = new Set<string>();
      tags.forEach((tag, i) => {
        const isAlive = alive[i]?.[1] === 1;
        if (isAlive) {
          listed.add(tag);
          this.#attach(tag);
        } else void this.#removeOrphan(tag);
      });
      for (const tag of this.#runs.keys()) if (!listed.has(tag)) void this.#detach(tag, "the flow run's process is gone");
    } catch (error) {
      this.#logger.warn({ err: error }, `reading the runs of queue "${this.queuePrefix}" failed`);
    }
  }

  #attach(tag: string): void {
    if (this.#runs.has(tag) || this.#stopping) return;
    const attaching = (async (): Promise<RunAttachment | null> => {
      const text = await this.#conn!.get(runKeys(this.queuePrefix, tag).meta);
      if (text === null) return null;
      const meta = JSON.parse(text) as RunMeta;
      if (meta.version !== PROTOCOL_VERSION) {
        this.#logger.error(
          `flow run ${meta.flowRunId} speaks protocol ${meta.version}; this worker speaks ${PROTOCOL_VERSION}: run the same Sluice version on both sides`,
        );
        return null;
      }
      const store = openResultStore(meta.resultStore, this.#options.resultStoreCredentials);
      const run = new RunAttachment(this.#context!, meta, tag, store);
      run.start();
      this.#logger.debug(`serving flow run ${meta.flowRunId} (flow "${meta.flowName}")`);
      return run;
    })().catch((error: unknown) => {
      this.#logger.error({ err: error }, `cannot serve run ${tag}: ${(error as Error)?.message}`);
      this.#runs.delete(tag);
      return null;
    });
    this.#runs.set(tag, attaching);
  }

  async #detach(tag: string, reason: string): Promise<void> {
    const attaching = this.#runs.get(tag);
    if (!attaching) return;
    this.#runs.delete(tag);
    const run = await attaching;
    if (!run) return;
    await run.close(reason);
    // The run removed its queues when it ended, but a consumer closing just then (a stalled-jobs check, its
    // start-up) can write a queue's bookkeeping keys again afterwards. Nothing would ever remove them: the
    // run is no longer listed. So the queues are removed once more, now that this process no longer writes.
    try {
      if ((await this.#conn!.exists(runKeys(this.queuePrefix, tag).alive)) === 1) return;
      for (const name of run.queueNames) await this.#removeQueue(name);
    } catch (error) {
      this.#logger.debug({ err: error }, `removing what is left of run ${tag}'s queues failed`);
    }
  }

  async #removeQueue(name: string): Promise<void> {
    const { Queue } = await import("bullmq");
    const queue = new Queue(name, { connection: this.#conn!, prefix: this.queuePrefix });
    try {
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
    }
  }

  /** A run listed without its alive key: its process died without cleaning up. The first worker to notice removes its leftovers. */
  async #removeOrphan(tag: string): Promise<void> {
    const conn = this.#conn!;
    try {
      if ((await conn.srem(this.#pool.runs, tag)) !== 1) return;
      const keys = runKeys(this.queuePrefix, tag);
      await conn.del(keys.meta, keys.out);
      await this.#removeQueue(keys.queue);
      this.#logger.info(`removed the leftovers of run ${tag}, whose process stopped without cleaning up`);
    } catch (error) {
      this.#logger.warn({ err: error }, `removing the leftovers of run ${tag} failed`);
    }
  }

  /**
   * Stops taking jobs, lets running attempts finish (up to shutdownGraceMs), unregisters and disconnects.
   * Bounded: every step talks to Redis, and a broker that is gone (deleted, cut off) never answers, so
   * after shutdownGraceMs plus STOP_MARGIN_MS the worker drops its connections and resolves anyway.
   * Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const timer of this.#timers) clearInterval(timer);
      const orderly = (async () => {
        const runs = await Promise.all([...this.#runs.values()]);
        this.#runs.clear();
        await Promise.all(runs.map((run) => run?.close("the worker is stopping", { graceMs: this.#options.shutdownGraceMs! })));
        try {
          await this.#conn?.zrem(this.#pool.workers, this.id);
        } catch {
          // the heartbeat ages out by itself
        }
        this.#sub?.disconnect();
        await this.#conn?.quit().catch(() => this.#conn?.disconnect());
      })();
      let timer: NodeJS.Timeout | undefined;
      const limitMs = this.#options.shutdownGraceMs! + STOP_MARGIN_MS;
      const outcome = await Promise.race([
        orderly.then(
          () => "done" as const,
          () => "done" as const,
        ),
        new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), limitMs))),
      ]);
      clearTimeout(timer);
      if (outcome === "late") {
        this.#logger.warn(`Redis at ${this.redis.display} did not answer within ${limitMs} ms while stopping; disconnecting without it`);
        this.#sub?.disconnect();
        this.#conn?.disconnect();
      }
    })();
    return this.#stopping;
  }
}
