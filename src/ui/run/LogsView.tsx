/**
 * A run's logs: read in full (up to 100,000 lines) with the level, task and text filters done by the
 * server, then tailed live from the run's event stream (or, on a server without it, by reading after the
 * last cursor every second while the run is active). Virtualized, follows the end while scrolled there.
 */
import { useEffect, useMemo, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import type { ApiLogLevel, LogRecord, TaskRun } from "../../client/index.js";
import { errorText, isMissingRoute, useApi } from "../api/context.js";
import { runViewOperations } from "../../api/run-views.js";
import { onLiveLogs, type LiveMode } from "../api/run-live.js";

const MAX_LINES = 100_000;
/** Set once the server answers that it has no log search (an older server): the page searches instead. */
let searchMissing = false;
const LEVELS: ApiLogLevel[] = ["trace", "debug", "info", "warn", "error", "fatal"];
const rank = (level: string) => LEVELS.indexOf(level as ApiLogLevel);

export interface LogsFilter {
  level: ApiLogLevel | "";
  q: string;
}

export function LogsView({
  flowRunId,
  active,
  mode,
  taskRuns,
  selectedTask,
  onClearTask,
}: {
  flowRunId: string;
  active: boolean;
  mode: LiveMode;
  taskRuns: TaskRun[];
  selectedTask: string | null;
  onClearTask: () => void;
}) {
  const { client, transport } = useApi();
  const [level, setLevel] = useState<ApiLogLevel | "">("");
  const [q, setQ] = useState("");
  const [search, setSearch] = useState("");
  const [lines, setLines] = useState<LogRecord[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const cursor = useRef<string | undefined>(undefined);
  const follow = useRef(true);
  const scroller = useRef<HTMLDivElement>(null);

  const taskIds = useMemo(
    () => (selectedTask === null ? null : new Set(taskRuns.filter((t) => t.taskKey === selectedTask).map((t) => t.id))),
    [selectedTask, taskRuns],
  );
  const single = taskIds && taskIds.size === 1 ? [...taskIds][0] : undefined;
  const nameOf = useMemo(() => new Map(taskRuns.map((t) => [t.id, t.mapIndex >= 0 ? `${t.taskName}[${t.mapIndex}]` : t.taskName])), [taskRuns]);

  const keep = useMemo(() => {
    const needle = search.toLowerCase();
    return (line: LogRecord) =>
      (level === "" || rank(line.level) >= rank(level)) &&
      (taskIds === null || (line.taskRunId !== null && taskIds.has(line.taskRunId))) &&
      (needle === "" || line.message.toLowerCase().includes(needle));
  }, [level, search, taskIds]);

  // Full read whenever a server-side filter changes.
  useEffect(() => {
    const abort = new AbortController();
    setLoading(true);
    setError(null);
    (async () => {
      const out: LogRecord[] = [];
      let after: string | undefined;
      for (;;) {
        if (search && !searchMissing) {
          // The server searches every line; only matches come back.
          try {
            const found = await transport.call(runViewOperations.searchLogs, {
              params: { id: flowRunId },
              query: { q: search, after, level: level || undefined, taskRunId: single, limit: 5000 },
              signal: abort.signal,
            });
            out.push(...found.items.filter(keep));
            after = found.nextCursor;
            if (after === undefined || out.length >= MAX_LINES) break;
            continue;
          } catch (error) {
            if (!isMissingRoute(error)) throw error;
            searchMissing = true;
            after = undefined;
          }
        }
        const page = await client.readLogs(flowRunId, {
          ...(after ? { after } : {}),
          ...(level ? { level } : {}),
          ...(single ? { taskRunId: single } : {}),
          limit: 5000,
        });
        out.push(...page.items.filter(keep));
        after = page.nextCursor;
        if (page.items.length < 5000 || out.length >= MAX_LINES) break;
      }
      if (abort.signal.aborted) return;
      cursor.current = after ?? out[out.length - 1]?.id;
      setLines(out);
      setLoading(false);
    })().catch((e: unknown) => {
      if (!abort.signal.aborted) {
        setError(errorText(e));
        setLoading(false);
      }
    });
    return () => abort.abort();
  }, [flowRunId, level, search, single, keep, transport, client]);

  // Live tail: from the event stream, or by reading after the cursor while the run is active.
  useEffect(() => {
    if (loading) return;
    if (mode === "stream" || mode === "connecting")
      return onLiveLogs(flowRunId, (items) => {
        const fresh = items.filter((l) => cursor.current === undefined || BigInt(l.id) > BigInt(cursor.current)).filter(keep);
        if (items.length > 0) cursor.current = items[items.length - 1]?.id ?? cursor.current;
        if (fresh.length > 0) setLines((old) => [...old, ...fresh]);
      });
    if (!active) return;
    let stop = false;
    const tick = async () => {
      while (!stop) {
        const page = await client.readLogs(flowRunId, { ...(cursor.current ? { after: cursor.current } : {}), limit: 5000 });
        if (stop) return;
        cursor.current = page.nextCursor;
        const fresh = page.items.filter(keep);
        if (fresh.length > 0) setLines((old) => [...old, ...fresh]);
        if (page.items.length < 5000) await new Promise((r) => setTimeout(r, 1000));
      }
    };
    tick().catch((e: unknown) => setError(errorText(e)));
    return () => {
      stop = true;
    };
  }, [loading, mode, active, flowRunId, keep, client]);

  const virtual = useVirtualizer({ count: lines.length, getScrollElement: () => scroller.current, estimateSize: () => 20, overscan: 30 });
  useEffect(() => {
    if (follow.current && lines.length > 0) virtual.scrollToIndex(lines.length - 1, { align: "end" });
  }, [lines.length, virtual]);

  const download = async () => {
    const all: LogRecord[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await client.readLogs(flowRunId, { ...(after ? { after } : {}), limit: 5000 });
      all.push(...page.items);
      after = page.nextCursor;
      if (page.items.length < 5000) break;
    }
    const text = all
      .map((l) => `${l.timestamp} ${l.level.toUpperCase().padEnd(5)} ${l.taskRunId ? `[${nameOf.get(l.taskRunId) ?? l.taskRunId}] ` : ""}${l.message}`)
      .join("\n");
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([`${text}\n`], { type: "text/plain" }));
    a.download = `flow-run-${flowRunId}.log`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  };

  return (
    <div className="logs" data-testid="logs">
      <div className="toolbar">
        <select aria-label="Minimum level" value={level} onChange={(e) => setLevel(e.target.value as ApiLogLevel | "")}>
          <option value="">All levels</option>
          {LEVELS.map((l) => (
            <option key={l} value={l}>
              {l}+
            </option>
          ))}
        </select>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setSearch(q.trim());
          }}
          className="search"
        >
          <input
            type="search"
            placeholder="Search all lines…"
            value={q}
            onChange={(e) => {
              setQ(e.target.value);
              if (e.target.value === "") setSearch("");
            }}
            aria-label="Search logs"
          />
        </form>
        {selectedTask !== null && (
          <span className="chip">
            task: {taskRuns.find((t) => t.taskKey === selectedTask)?.taskName ?? selectedTask}{" "}
            <button type="button" onClick={onClearTask} aria-label="Clear task filter">
              ×
            </button>
          </span>
        )}
        <span className="spacer" />
        <span className="muted">
          {loading ? "Loading…" : `${lines.length.toLocaleString()} lines`}
          {active ? (mode === "stream" ? " · live" : " · tailing") : ""}
        </span>
        <button
          type="button"
          onClick={() => {
            follow.current = false;
            virtual.scrollToIndex(0);
          }}
        >
          First
        </button>
        <button
          type="button"
          onClick={() => {
            follow.current = true;
            virtual.scrollToIndex(lines.length - 1, { align: "end" });
          }}
        >
          Last
        </button>
        <button type="button" onClick={() => void download()}>
          Download
        </button>
      </div>
      {error && <div className="error-box">{error}</div>}
      <div
        className="log-scroll"
        ref={scroller}
        onScroll={(e) => {
          const el = e.currentTarget;
          follow.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 30;
        }}
      >
        {!loading && lines.length === 0 && <div className="empty">No log lines{search ? ` matching “${search}”` : ""}.</div>}
        <div style={{ height: virtual.getTotalSize(), position: "relative" }}>
          {virtual.getVirtualItems().map((v) => {
            const l = lines[v.index];
            if (!l) return null;
            return (
              <div key={l.id} className={`log-line lvl-${l.level}`} data-level={l.level} style={{ transform: `translateY(${v.start}px)` }}>
                <span className="ts">{l.timestamp.slice(11, 23)}</span>
                <span className="lvl">{l.level.toUpperCase()}</span>
                {l.taskRunId && <span className="task">{nameOf.get(l.taskRunId) ?? l.taskRunId.slice(0, 8)}</span>}
                <span className="msg">{highlight(l.message, search)}</span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

function highlight(text: string, needle: string) {
  if (!needle) return text;
  const at = text.toLowerCase().indexOf(needle.toLowerCase());
  if (at < 0) return text;
  return (
    <>
      {text.slice(0, at)}
      <mark>{text.slice(at, at + needle.length)}</mark>
      {text.slice(at + needle.length)}
    </>
  );
}
