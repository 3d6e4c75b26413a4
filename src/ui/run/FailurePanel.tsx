/**
 * Why a run failed, on its page: the run's own state message and error, each failed task run's error
 * with its stack, and the run's ERROR lines (where a deployed run's infrastructure reason lands: the
 * agent reports a pod's or task's stop reason and exit code there and in the state message). For a run an
 * agent deployed, also the platform's events the agent recorded (a line whose fields name an `event`, as
 * the Kubernetes agent writes a pending pod's events at DEBUG level): why a pod never started.
 */
import { useQuery } from "@tanstack/react-query";
import type { FlowRun, LogRecord } from "../../client/index.js";
import { useApi } from "../api/context.js";
import { isFailure } from "../components/format.js";

/** Failed task runs shown with their error; the rest are counted. */
const SHOWN = 3;
/**
 * How many of a run's first lines are looked through for platform events: they come while its pod is
 * pending, before the run's own lines.
 */
const EVENT_SCAN = 300;
/** Platform events shown at most. */
const EVENTS_SHOWN = 20;

interface SerializedError {
  name: string;
  message: string;
  stack?: string | undefined;
  code?: string | undefined;
  cause?: SerializedError | undefined;
}

export function FailurePanel({ run, onSelectTask, onShowTasks }: { run: FlowRun; onSelectTask: (key: string) => void; onShowTasks: () => void }) {
  const { client } = useApi();
  const failed = isFailure(run.state.name);
  const tasks = useQuery({
    queryKey: ["failed-tasks", run.id, run.version],
    queryFn: async () => (await client.listTaskRuns(run.id, { state: ["Failed", "TriggerFailed", "TimedOut"], limit: 20 })).items,
    enabled: failed,
  });
  const errors = useQuery({
    queryKey: ["error-logs", run.id, run.version],
    queryFn: async () => (await client.readLogs(run.id, { level: "error", limit: 20 })).items,
    enabled: failed,
  });
  const events = useQuery({
    queryKey: ["platform-events", run.id, run.version],
    queryFn: async () =>
      (await client.readLogs(run.id, { level: "debug", limit: EVENT_SCAN })).items.filter((l) => typeof l.fields?.event === "string").slice(0, EVENTS_SHOWN),
    enabled: failed && run.agentId !== null,
  });
  if (!failed) return null;
  return (
    <section className="failure" data-testid="failure">
      <h3>Why it failed</h3>
      {run.state.message && <p className="reason">{run.state.message}</p>}
      {run.state.error &&
        ((tasks.data ?? []).length > 0 ? (
          <details>
            <summary>The run's own error</summary>
            <ErrorBlock error={run.state.error} />
          </details>
        ) : (
          <ErrorBlock error={run.state.error} />
        ))}
      {(tasks.data ?? []).slice(0, SHOWN).map((t) => (
        <div key={t.id} className="failed-task">
          <div className="failed-task-head">
            <button type="button" className="link" onClick={() => onSelectTask(t.taskKey)}>
              {t.taskName}
              {t.mapIndex >= 0 ? `[${t.mapIndex}]` : ""}
            </button>
            <span className="muted">
              {" "}
              {t.state.name}
              {t.attempts > 1 ? ` after ${t.attempts} attempts` : ""}
            </span>
          </div>
          {t.state.error ? <ErrorBlock error={t.state.error} /> : t.state.message && <p className="reason">{t.state.message}</p>}
        </div>
      ))}
      {(tasks.data ?? []).length > SHOWN && (
        <p className="muted">
          and {(tasks.data ?? []).length - SHOWN}
          {(tasks.data ?? []).length === 20 ? "+" : ""} more failed task runs:{" "}
          <button type="button" className="link" onClick={onShowTasks}>
            see the task table
          </button>
        </p>
      )}
      <LogLines title="Error lines" testId="error-lines" lines={errors.data ?? []} />
      <LogLines title="Platform events" testId="infra-events" lines={events.data ?? []} />
    </section>
  );
}

/** Log lines under a title; nothing when there are none. */
function LogLines({ title, testId, lines }: { title: string; testId: string; lines: LogRecord[] }) {
  if (lines.length === 0) return null;
  return (
    <div className="error-logs" data-testid={testId}>
      <h4>{title}</h4>
      {lines.map((line) => (
        <div key={line.id} className={`log-line lvl-${line.level}`}>
          <span className="ts">{line.timestamp.slice(11, 23)}</span>
          <span className="msg">{line.message}</span>
        </div>
      ))}
    </div>
  );
}

function ErrorBlock({ error }: { error: SerializedError }) {
  return (
    <div className="error-block" data-testid="task-error">
      <div className="error-title">
        {error.name}
        {error.code ? ` (${error.code})` : ""}: {error.message}
      </div>
      {error.stack && <pre className="stack">{error.stack}</pre>}
      {error.cause && (
        <div className="cause">
          caused by <ErrorBlock error={error.cause} />
        </div>
      )}
    </div>
  );
}
