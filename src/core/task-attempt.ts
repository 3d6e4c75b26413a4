/**
 * One attempt of one task run, in this thread: validates the input, builds the context, applies the
 * timeout and maps what the task returned or threw to an outcome. Self-contained (no runner state), so
 * the same code runs in the flow runner's process, in a worker thread and in a distributed worker.
 */
import { SluiceError, serializeError } from "./errors.js";
import type { LogRecord } from "./events.js";
import type { TaskAttemptOutcome, TaskRunRequest } from "./executor.js";
import { signalKind, type RetrySignal } from "./signals.js";
import type { AnyTask } from "./task.js";
import { createTaskContext } from "./task-context.js";

const TIMED_OUT = Symbol("timed out");

function outcomeOfThrown(thrown: unknown, signal: AbortSignal, request: TaskRunRequest): TaskAttemptOutcome {
  switch (signalKind(thrown)) {
    case "skip":
      return { kind: "skipped", message: (thrown as Error).message };
    case "fail":
      return { kind: "failed", error: serializeError(thrown), noRetry: true };
    case "retry": {
      const delayMs = (thrown as RetrySignal).delayMs;
      return delayMs === undefined ? { kind: "retry", error: serializeError(thrown) } : { kind: "retry", error: serializeError(thrown), delayMs };
    }
    default:
      if (signal.aborted) {
        return {
          kind: "cancelled",
          message: `Task "${request.taskName}" was cancelled (it ended with: ${thrown instanceof Error ? thrown.message : String(thrown)})`,
        };
      }
      return { kind: "failed", error: serializeError(thrown) };
  }
}

/** Checks the input against the task's `input` schema: the parsed input, or a failed outcome naming the fields. */
function validateInput(task: AnyTask, request: TaskRunRequest): { input: unknown } | TaskAttemptOutcome {
  const schema = task.options.input;
  if (!schema) return { input: request.input };
  const parsed = schema.safeParse(request.input);
  if (parsed.success) return { input: parsed.data };
  const details = parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "input"}: ${i.message}`).join("; ");
  const error = new SluiceError(
    "INVALID_INPUT",
    `task "${request.taskName}" got an invalid input (${details}); check what its upstream tasks return and what is bound to it`,
    {
      field: parsed.error.issues[0]?.path.map(String).join(".") || "input",
      taskRunId: request.taskRunId,
      flowRunId: request.flowRunId,
    },
  );
  return { kind: "failed", error: serializeError(error), noRetry: true };
}

/** Runs one attempt of `task`. Never throws. */
export async function runAttempt(task: AnyTask, request: TaskRunRequest, signal: AbortSignal, onLog: (record: LogRecord) => void): Promise<TaskAttemptOutcome> {
  const checked = validateInput(task, request);
  if ("kind" in checked) return checked;
  if (signal.aborted) return { kind: "cancelled", message: `Task "${request.taskName}" was cancelled before it started` };
  const timeoutMs = request.timeoutMs;
  if (timeoutMs === null) {
    // The common path: no timer, no extra AbortController.
    try {
      const result: unknown = await task.fn(checked.input, createTaskContext(request, signal, onLog));
      return { kind: "success", result };
    } catch (thrown) {
      return outcomeOfThrown(thrown, signal, request);
    }
  }
  const controller = new AbortController();
  const forward = (): void => controller.abort(signal.reason);
  signal.addEventListener("abort", forward, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new SluiceError("TASK_TIMED_OUT", `task "${request.taskName}" timed out after ${timeoutMs} ms`, { taskRunId: request.taskRunId }));
      resolve(TIMED_OUT);
    }, timeoutMs);
  });
  try {
    const ctx = createTaskContext(request, controller.signal, onLog);
    const running = (async () => task.fn(checked.input, ctx))();
    void running.catch(() => undefined); // after a timeout nobody awaits it: its late rejection must not be unhandled
    const result: unknown = await Promise.race([running, timeout]);
    if (result === TIMED_OUT) return { kind: "timedOut", message: `Task "${request.taskName}" timed out after ${timeoutMs} ms (attempt ${request.attempt})` };
    return { kind: "success", result };
  } catch (thrown) {
    if (controller.signal.aborted && !signal.aborted && signalKind(thrown) === undefined) {
      return { kind: "timedOut", message: `Task "${request.taskName}" timed out after ${timeoutMs} ms (attempt ${request.attempt})` };
    }
    return outcomeOfThrown(thrown, signal, request);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", forward);
  }
}
