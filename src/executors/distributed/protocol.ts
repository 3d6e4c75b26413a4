/**
 * What the flow run's process (the executor) and `sluice worker` processes say to each other through
 * Redis. Everything is JSON. Names of the keys are in keys.ts.
 *
 * 1. The executor writes the run's RunMeta, adds the run's tag to `<p>:runs` and publishes "started".
 * 2. Workers attach to the run: they read RunMeta and consume the run's BullMQ queue(s). A job's data is
 *    a JobData: one attempt of one task run.
 * 3. A worker appends the attempt's log records and then its outcome to the run's `out` stream, which the
 *    executor reads. Results and inputs over the threshold travel as result-store refs.
 * 4. Cancellations and the run's end are published on `<p>:control`.
 */
import type { FlowLocator, TaskAttemptOutcome } from "../../core/executor.js";
import type { ResultRef, ResultStoreLocation } from "../../storage/results/index.js";

/** Version of this protocol; a worker refuses runs of another version with a clear error. */
export const PROTOCOL_VERSION = 1;

/** Workers refresh their entry in `<p>:workers` this often. */
export const WORKER_HEARTBEAT_MS = 1000;
/** A worker whose heartbeat is older than this is considered gone (its pinned tasks go to the shared queue). */
export const WORKER_GONE_AFTER_MS = 5000;
/** The executor refreshes `<p>:run:<tag>:alive` this often, with a time-to-live of RUN_ALIVE_TTL_MS. */
export const RUN_ALIVE_REFRESH_MS = 5000;
export const RUN_ALIVE_TTL_MS = 20_000;

/** What workers need to run a flow run's tasks. */
export interface RunMeta {
  version: number;
  flowRunId: string;
  flowName: string;
  /** How workers load the flow (the same loading path as the workers executor). */
  locator: FlowLocator;
  /** The flow run's parameters, as JSON text. */
  parameters: string;
  /** false: tasks may be pinned to the worker that ran their upstream (per-worker queues). */
  workStealing: boolean;
  resultStore: ResultStoreLocation;
  /** Results larger than this (JSON bytes) go to the result store. */
  resultThresholdBytes: number;
  /** BullMQ worker settings (stalled-job detection), chosen by the executor for all its workers. */
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
}

/** The RunMeta of a flow run, from the executor's compiled options. */
export function runMeta(
  o: {
    workStealing: boolean;
    resultStore: { location(): ResultStoreLocation };
    resultThresholdBytes: number;
    lockDurationMs: number;
    stalledIntervalMs: number;
    maxStalledCount: number;
  },
  flowRunId: string,
  locator: FlowLocator,
  parameters: unknown,
): RunMeta {
  return {
    version: PROTOCOL_VERSION,
    flowRunId,
    flowName: locator.flowName,
    locator,
    parameters: JSON.stringify(parameters) ?? "{}",
    workStealing: o.workStealing,
    resultStore: o.resultStore.location(),
    resultThresholdBytes: o.resultThresholdBytes,
    lockDurationMs: o.lockDurationMs,
    stalledIntervalMs: o.stalledIntervalMs,
    maxStalledCount: o.maxStalledCount,
  };
}

/** One attempt of one task run, as a BullMQ job's data. */
export interface JobData {
  taskRunId: string;
  taskKey: string;
  taskName: string;
  mapIndex: number | null;
  attempt: number;
  timeoutMs: number | null;
  /** The input, when it is small (absent when undefined or stored). */
  input?: unknown;
  /** The input's ref in the result store, when it is large. */
  inputRef?: ResultRef;
  /** Parameters, only when they differ from the run's (never in practice: the runner sends one object). */
  parameters?: unknown;
}

/** An outcome as it crosses Redis: a success carries its value inline or a ref to it. */
export type WireOutcome = Exclude<TaskAttemptOutcome, { kind: "success" }> | { kind: "success"; value?: unknown; ref?: ResultRef };

/**
 * Field names of `out` stream entries. An entry is `w <worker id>` followed by one or more records
 * `j <job id> k <kind> d <data>` (a worker sends what it has in one entry per turn of its event loop);
 * the executor's first entry is just `k i`.
 */
export const OUT = {
  /** The job id. */
  job: "j",
  /** The record's kind: OUT_KIND. */
  kind: "k",
  /** The worker's id. */
  worker: "w",
  /** JSON: a LogRecord or a WireOutcome. */
  data: "d",
} as const;

export const OUT_KIND = { outcome: "o", log: "l", init: "i" } as const;

/** One record of an `out` entry. */
export interface OutRecord {
  job: string;
  kind: string;
  data: string;
}

/** Messages on the control channel. */
export type ControlMessage =
  | { type: "started"; tag: string }
  | { type: "ended"; tag: string }
  /** Abort these jobs' attempts (running ones see their signal aborted; queued ones end Cancelled at once). */
  | { type: "cancel"; tag: string; jobs: string[] };

/** Parses a control message; null for anything malformed (ignored). */
export function parseControl(text: string): ControlMessage | null {
  try {
    const m = JSON.parse(text) as ControlMessage;
    if (typeof m !== "object" || m === null || typeof m.tag !== "string") return null;
    if (m.type === "started" || m.type === "ended") return m;
    if (m.type === "cancel" && Array.isArray(m.jobs)) return m;
    return null;
  } catch {
    return null;
  }
}

/** The fields of an `out` entry ([k1, v1, k2, v2, ...]) as its worker and records, in order. */
export function parseOutEntry(flat: readonly string[]): { worker: string | undefined; records: OutRecord[] } {
  let worker: string | undefined;
  const records: OutRecord[] = [];
  let current: Partial<OutRecord> | undefined;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i]!;
    const value = flat[i + 1]!;
    if (name === OUT.worker) worker = value;
    else if (name === OUT.job) records.push((current = { job: value, kind: "", data: "" }) as OutRecord);
    else if (current && name === OUT.kind) current.kind = value;
    else if (current && name === OUT.data) current.data = value;
  }
  return { worker, records };
}

/** The XADD field list of one `out` entry. */
export function outFields(worker: string, records: readonly OutRecord[]): string[] {
  const fields = [OUT.worker, worker];
  for (const r of records) fields.push(OUT.job, r.job, OUT.kind, r.kind, OUT.data, r.data);
  return fields;
}
