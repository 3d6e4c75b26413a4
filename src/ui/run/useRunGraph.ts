/**
 * The nodes of a run's graph: from GET /api/flow-runs/:id/graph when the run is finished (one small
 * answer instead of every task run), else computed in the page (the same function) from the live task runs.
 */
import { useMemo } from "react";
import { useQuery } from "@tanstack/react-query";
import type { Flow, TaskRun } from "../../client/index.js";
import { isMissingRoute, useApi } from "../api/context.js";
import { aggregateRunGraph, runViewOperations, type RunGraphNode } from "../../api/run-views.js";

let graphMissing = false;

/** True once the server answered that it has no graph endpoint. */
export const serverGraphMissing = (): boolean => graphMissing;

export function useServerGraph(flowRunId: string, finished: boolean) {
  const { transport } = useApi();
  return useQuery({
    queryKey: ["graph", flowRunId],
    queryFn: async (): Promise<RunGraphNode[] | null> => {
      if (graphMissing) return null;
      try {
        return (await transport.call(runViewOperations.getFlowRunGraph, { params: { id: flowRunId } })).nodes;
      } catch (error) {
        if (!isMissingRoute(error)) throw error;
        graphMissing = true;
        return null;
      }
    },
    enabled: finished,
    staleTime: Infinity,
  });
}

export function useRunGraph(flow: Flow | undefined, taskRuns: TaskRun[] | undefined, server: RunGraphNode[] | null | undefined): RunGraphNode[] | undefined {
  return useMemo(() => {
    if (server) return server;
    if (!flow || !taskRuns) return undefined;
    return aggregateRunGraph(flow.taskGraph.tasks, taskRuns);
  }, [flow, taskRuns, server]);
}
