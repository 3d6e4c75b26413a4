/**
 * The code of a worker thread of the workers executor (loaded by piscina). For each task it loads the flow
 * through the shared loading path (once per thread: loadFlow caches it), runs one attempt with
 * `flow.runTaskAttempt`, posts log records to the session's channel, and checks that the result can be
 * copied back before returning it.
 */
import { BroadcastChannel } from "node:worker_threads";
import { serializeError, SluiceError } from "../../core/errors.js";
import type { LogRecord } from "../../core/events.js";
import type { RunnableFlow, TaskAttemptOutcome } from "../../core/executor.js";
import { loadFlow } from "../../core/load.js";
import type { ChannelMessage, WorkerReply, WorkerTask } from "./protocol.js";
import { findUnserializable, notSerializable } from "./serializable.js";

interface Channel {
  channel: BroadcastChannel;
  /** Abort controllers of the attempts running in this thread, by submit id. */
  running: Map<number, AbortController>;
}

const channels = new Map<string, Channel>();

function channelOf(name: string): Channel {
  let entry = channels.get(name);
  if (!entry) {
    const channel = new BroadcastChannel(name);
    const running = new Map<number, AbortController>();
    channel.onmessage = (event: unknown) => {
      const message = (event as { data: ChannelMessage }).data;
      if (message.type === "cancel") running.get(message.submitId)?.abort(new SluiceError("CANCELLED", "the flow run was cancelled"));
      else if (message.type === "close") {
        channel.close();
        channels.delete(name);
      }
    };
    channel.unref();
    entry = { channel, running };
    channels.set(name, entry);
  }
  return entry;
}

/** A log record with its fields made cloneable (JSON round trip) when they are not. */
function cloneableRecord(record: LogRecord): LogRecord {
  if (!record.fields || findUnserializable(record.fields, "structured-clone") === null) return record;
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(
      JSON.stringify(record.fields, (_k, v: unknown) => (typeof v === "function" ? `[function ${v.name}]` : typeof v === "bigint" ? String(v) : v)),
    ) as Record<string, unknown>;
  } catch {
    fields = { unprintable: "the log fields could not be copied to the parent thread" };
  }
  return { ...record, fields };
}

export default async function runInWorker(task: WorkerTask): Promise<WorkerReply> {
  const { request } = task;
  let flow: RunnableFlow;
  try {
    flow = await loadFlow(task.locator, task.cwd);
  } catch (error) {
    return { outcome: { kind: "failed", error: serializeError(error), noRetry: true }, logs: 0 };
  }
  const { channel, running } = channelOf(task.channel);
  const controller = new AbortController();
  running.set(task.submitId, controller);
  let logs = 0;
  const onLog = (record: LogRecord): void => {
    channel.postMessage({ type: "log", submitId: task.submitId, record: cloneableRecord(record) } satisfies ChannelMessage);
    logs++;
  };
  let outcome: TaskAttemptOutcome;
  try {
    outcome = await flow.runTaskAttempt(request, controller.signal, onLog);
  } finally {
    running.delete(task.submitId);
  }
  if (outcome.kind === "success") {
    const problem = findUnserializable(outcome.result, "structured-clone", "result");
    if (problem) {
      const error = notSerializable(problem, { ...request, executor: "workers" });
      outcome = { kind: "failed", error: serializeError(error), noRetry: true };
    }
  }
  return { outcome, logs };
}
