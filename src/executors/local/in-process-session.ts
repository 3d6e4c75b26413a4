/**
 * A session that runs attempts in this process by calling the loaded flow's `runTaskAttempt`. Shared by
 * the local and concurrent executors (they differ only in how many attempts the runner keeps in flight).
 */
import type { LogRecord } from "../../core/events.js";
import type { ExecutorSession, RunnableFlow, TaskAttemptOutcome, TaskRunRequest } from "../../core/executor.js";

export class InProcessSession implements ExecutorSession {
  constructor(
    private readonly flow: RunnableFlow,
    private readonly onLog: (record: LogRecord) => void,
  ) {}

  submit(request: TaskRunRequest, signal: AbortSignal): Promise<TaskAttemptOutcome> {
    return this.flow.runTaskAttempt(request, signal, this.onLog);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
