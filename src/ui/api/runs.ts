/**
 * The runs list: every run matching the filter (up to 10,000), kept current by re-reading the newest
 * runs of the same filter every two seconds and merging them in. Label, text and time filters are sent
 * to the server and also applied here, so the list is right whether or not the server knows them.
 */
import { useEffect, useMemo } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { FlowRun, ListFlowRunsFilter } from "../../client/index.js";
import { useApi } from "./context.js";
import { allPages } from "./pages.js";
import { matchesFilter, sinceInstant, type RunFilter } from "./run-filter.js";

export const RUNS_LIMIT = 10_000;

function serverQuery(filter: RunFilter): ListFlowRunsFilter {
  const from = sinceInstant(filter.since);
  const query = {
    ...(filter.states.length > 0 ? { state: filter.states } : {}),
    ...(filter.flow ? { flowName: filter.flow } : {}),
    ...(filter.label ? { label: filter.label } : {}),
    ...(filter.q ? { q: filter.q.trim() } : {}),
    ...(from ? { createdAfter: from.toISOString() } : {}),
  };
  return query as ListFlowRunsFilter;
}

const newestFirst = (a: FlowRun, b: FlowRun) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1);

export function useRunsList(filter: RunFilter) {
  const { client } = useApi();
  const queryClient = useQueryClient();
  const key = ["runs", filter] as const;
  const query = serverQuery(filter);
  const full = useQuery({
    queryKey: key,
    queryFn: ({ signal }) => {
      void signal;
      return allPages((cursor) => client.listFlowRuns({ ...query, limit: 1000, ...(cursor ? { cursor } : {}) }), RUNS_LIMIT);
    },
    staleTime: Infinity,
  });
  const head = useQuery({
    queryKey: ["runs-head", filter],
    queryFn: async () => (await client.listFlowRuns({ ...query, limit: 200 })).items,
    refetchInterval: 2000,
    enabled: full.isSuccess,
  });
  useEffect(() => {
    if (!head.data) return;
    queryClient.setQueryData<FlowRun[]>(key, (old) => {
      if (!old) return old;
      const byId = new Map(old.map((r) => [r.id, r]));
      let changed = false;
      for (const run of head.data) {
        const previous = byId.get(run.id);
        if (!previous || previous.version !== run.version || previous.updatedAt !== run.updatedAt) {
          byId.set(run.id, run);
          changed = true;
        }
      }
      return changed ? [...byId.values()].sort(newestFirst) : old;
    });
  }, [head.data]);
  const runs = useMemo(() => (full.data ?? []).filter((run) => matchesFilter(run, filter)), [full.data, filter]);
  return { runs, isLoading: full.isLoading, error: full.error ?? head.error, truncated: (full.data?.length ?? 0) >= RUNS_LIMIT };
}
