/**
 * What a flow run tells observers and its logger: state changes (built only when someone observes, or
 * at debug level) and task log records (filtered by the run's level, written to pino with run context).
 * An observer that throws is logged once and otherwise ignored.
 */
import type { Logger } from "pino";
import type { LogRecord, RunEvent, RunObserver } from "../events.js";
import { levelPasses, type LoggerLevel } from "../logger.js";
import type { State } from "../states.js";
import type { TaskRunRecord } from "./records.js";

export class RunEvents {
  readonly #observers: readonly RunObserver[];
  readonly #badObservers = new Set<RunObserver>();
  readonly #observing: boolean;
  readonly #debug: boolean;

  constructor(
    private readonly flowRunId: string,
    private readonly flowName: string,
    observers: readonly RunObserver[],
    private readonly logger: Logger,
    private readonly logLevel: LoggerLevel,
  ) {
    this.#observers = observers;
    this.#observing = observers.length > 0;
    this.#debug = logger.isLevelEnabled("debug");
  }

  #emit(event: RunEvent): void {
    for (const observer of this.#observers) {
      try {
        observer(event);
      } catch (error) {
        if (!this.#badObservers.has(observer)) {
          this.#badObservers.add(observer);
          this.logger.warn({ flowRunId: this.flowRunId, err: error }, "a run observer threw; its further errors are not logged");
        }
      }
    }
  }

  flowState(state: State): void {
    this.logger.info({ flowRunId: this.flowRunId, flowName: this.flowName, state: state.name }, `flow run ${state.name}: ${state.message ?? ""}`);
    if (this.#observing) this.#emit({ type: "flow-run-state", flowRunId: this.flowRunId, flowName: this.flowName, state });
  }

  /** Announces a task run's current state. */
  taskState(record: TaskRunRecord): void {
    if (this.#observing) {
      const nr = record.nodeRun;
      this.#emit({
        type: "task-run-state",
        flowRunId: this.flowRunId,
        taskRunId: record.id,
        taskKey: nr.key,
        taskName: nr.task.name,
        mapIndex: record.mapIndex,
        state: record.state,
      });
    }
    if (this.#debug) {
      const { state, nodeRun, mapIndex } = record;
      this.logger.debug(
        { flowRunId: this.flowRunId, taskRunId: record.id, taskKey: nodeRun.key, mapIndex, state: state.name },
        `task run ${nodeRun.key}${mapIndex === null ? "" : `[${mapIndex}]`} ${state.name}${state.message ? `: ${state.message}` : ""}`,
      );
    }
  }

  /** Where executors send task log records. */
  readonly onLog = (record: LogRecord): void => {
    if (!levelPasses(record.level, this.logLevel)) return;
    this.logger[record.level](
      { ...record.fields, flowRunId: record.flowRunId, taskRunId: record.taskRunId, taskName: record.taskName, mapIndex: record.mapIndex },
      record.message,
    );
    if (this.#observing) this.#emit({ type: "log", record });
  };

  warn(fields: Record<string, unknown>, message: string): void {
    this.logger.warn({ flowRunId: this.flowRunId, ...fields }, message);
  }
}
