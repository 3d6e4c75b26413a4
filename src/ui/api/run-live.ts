/**
 * One run, kept live: the run, its flow and its task runs are read once, then updated from the run's
 * event stream (GET /api/flow-runs/:id/events). A server without the stream gets a one-second refresh
 * of the run and its task runs instead, stopped once the run is finished. Log events are handed to
 * subscribers (the logs view) so it tails without its own polling.
 */
import { useEffect, useRef, useState } from "react";
import { useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import type { FlowRun, LogRecord, TaskRun } from "../../client/index.js";
import { isFinished } from "../components/format.js";
import { useApi } from "./context.js";
import { allPages } from "./pages.js";
import { RunEventSchema } from "../../api/run-views.js";
import { readSse, SseHttpError } from "./sse.js";

export type LiveMode = "connecting" | "stream" | "polling" | "finished";

type LogListener = (items: LogRecord[], nextCursor: string) => void;

const listeners = new Map<string, Set<LogListener>>();
/** Runs whose server has no event stream (remembered for the page's life). */
let streamMissing = false;

export function onLiveLogs(flowRunId: string, listener: LogListener): () => void {
  let set = listeners.get(flowRunId);
  if (!set) listeners.set(flowRunId, (set = new Set()));
  set.add(listener);
  return () => set.delete(listener);
}

export const runKey = (id: string) => ["run", id] as const;
export const taskRunsKey = (id: string) => ["task-runs", id] as const;

export function mergeTaskRuns(queryClient: QueryClient, flowRunId: string, changed: TaskRun[]): void {
  queryClient.setQueryData<TaskRun[]>(taskRunsKey(flowRunId), (old) => {
    const byId = new Map((old ?? []).map((t) => [t.id, t]));
    for (const t of changed) {
      const prev = byId.get(t.id);
      if (!prev || prev.version <= t.version) byId.set(t.id, t);
    }
    return [...byId.values()];
  });
}

/**
 * @param needTaskRuns Whether the page needs every task run of a finished run (an active run's are
 * always read: they are what changes).
 */
export function useRunLive(flowRunId: string, needTaskRuns: boolean) {
  const { client, url, apiKey } = useApi();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<LiveMode>(streamMissing ? "polling" : "connecting");
  const polling = mode === "polling";

  const run = useQuery({
    queryKey: runKey(flowRunId),
    queryFn: () => client.getFlowRun(flowRunId),
    refetchInterval: (q) => (polling && !(q.state.data && isFinished(q.state.data.state.name)) ? 1000 : false),
  });
  const finished = run.data ? isFinished(run.data.state.name) : false;
  const taskRuns = useQuery({
    queryKey: taskRunsKey(flowRunId),
    queryFn: () => allPages((cursor) => client.listTaskRuns(flowRunId, { limit: 10_000, ...(cursor ? { cursor } : {}) }), 200_000),
    refetchInterval: polling && !finished ? 1000 : false,
    enabled: run.data !== undefined && (!finished || needTaskRuns),
  });
  const flow = useQuery({
    queryKey: ["flow", run.data?.flowId],
    queryFn: () => client.getFlow(run.data?.flowId ?? ""),
    enabled: run.data !== undefined,
    staleTime: Infinity,
  });

  // When the run finishes under polling, read the task runs one last time.
  const wasFinished = useRef(finished);
  useEffect(() => {
    if (finished && !wasFinished.current) void queryClient.invalidateQueries({ queryKey: taskRunsKey(flowRunId) });
    wasFinished.current = finished;
  }, [finished, flowRunId, queryClient]);

  // A finished run changes no more: no stream for it.
  const follow = run.data !== undefined && !finished;
  useEffect(() => {
    if (streamMissing || !follow) return;
    const abort = new AbortController();
    let stopped = false;
    const connect = async (attempt: number): Promise<void> => {
      try {
        await readSse(`${url}/api/flow-runs/${encodeURIComponent(flowRunId)}/events`, apiKey, abort.signal, (message) => {
          const parsed = RunEventSchema.safeParse({ type: message.event, ...(JSON.parse(message.data) as object) });
          if (!parsed.success) return;
          const event = parsed.data;
          setMode("stream");
          if (event.type === "flow-run") queryClient.setQueryData<FlowRun>(runKey(flowRunId), event.flowRun);
          else if (event.type === "task-runs") mergeTaskRuns(queryClient, flowRunId, event.items);
          else if (event.type === "logs") listeners.get(flowRunId)?.forEach((l) => l(event.items, event.nextCursor));
          else if (event.type === "end") {
            stopped = true;
            setMode("finished");
          }
        });
        if (!stopped && !abort.signal.aborted) await retry(attempt);
      } catch (error) {
        if (abort.signal.aborted) return;
        if (error instanceof SseHttpError && error.status === 404) {
          streamMissing = true;
          setMode("polling");
          return;
        }
        await retry(attempt);
      }
    };
    const retry = async (attempt: number) => {
      await new Promise((r) => setTimeout(r, Math.min(5000, 500 * 2 ** attempt)));
      if (!abort.signal.aborted) await connect(attempt + 1);
    };
    void connect(0);
    return () => abort.abort();
  }, [flowRunId, url, apiKey, queryClient, follow]);

  return { run, taskRuns, flow, mode: finished && mode !== "polling" ? ("finished" as const) : mode };
}
