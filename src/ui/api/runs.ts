/**
 * The runs list: every run matching the filter (up to 10,000), filtered by the server. It is kept current
 * by asking every two seconds for the runs of the same flow, labels, text and time range that changed
 * since the newest change seen (`updatedAfter`), whatever their state: a run that entered the filter is
 * added, one that left it (a state filter it no longer matches) is dropped.
 */
import { useEffect, useMemo, useRef } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { FlowRun } from "../../client/index.js";
import { useApi } from "./context.js";
import { allPages } from "./pages.js";
import { advance, changesFrom, type ChangeCursor, mergeChanges, RUNS_LIMIT } from "./run-changes.js";
import { createdRange, matchesFilter, serverQuery, type RunFilter } from "./run-filter.js";

/** How often the list asks for changed runs. */
const LIVE_INTERVAL_MS = 2000;
/**
 * For this long after the newest change seen moved, the list also asks for changes up to this much
 * older: a run written by a transaction that began before that change but committed after it carries an
 * earlier time, and must not be missed. Then the cursor settles on the newest change itself, so a quiet
 * list does not read a burst of runs again at every look.
 */
const LIVE_OVERLAP_MS = 5000;

export function useRunsList(filter: RunFilter) {
  const { client } = useApi();
  const queryClient = useQueryClient();
  const key = useMemo(() => ["runs", filter] as const, [filter]);
  const full = useQuery({
    queryKey: key,
    queryFn: (): Promise<readonly FlowRun[]> => {
      const query = serverQuery(filter);
      return allPages((cursor) => client.listFlowRuns({ ...query, limit: 1000, ...(cursor ? { cursor } : {}) }), RUNS_LIMIT);
    },
    staleTime: Infinity,
  });
  // The newest change seen, in any answer of this filter (also of runs outside it): where the next look starts.
  const cursors = useRef(new WeakMap<RunFilter, ChangeCursor>());
  const changes = useQuery({
    queryKey: ["runs-changes", filter],
    queryFn: async () => {
      const cursor = advance(cursors.current.get(filter) ?? { at: 0, movedAt: 0 }, queryClient.getQueryData<readonly FlowRun[]>(key) ?? [], Date.now());
      const query = serverQuery(filter, false);
      const from = changesFrom(cursor, Date.now(), LIVE_OVERLAP_MS);
      // Nothing seen yet (an empty list): the newest run of the filter gives a starting point.
      const changed =
        cursor.at === 0
          ? (await client.listFlowRuns({ ...query, limit: 1 })).items
          : await allPages(
              (page) => client.listFlowRuns({ ...query, updatedAfter: new Date(from).toISOString(), limit: 1000, ...(page ? { cursor: page } : {}) }),
              RUNS_LIMIT,
            );
      cursors.current.set(filter, advance(cursor, changed, Date.now()));
      return changed;
    },
    refetchInterval: LIVE_INTERVAL_MS,
    enabled: full.isSuccess,
  });
  useEffect(() => {
    const changed = changes.data;
    if (!changed) return;
    queryClient.setQueryData<readonly FlowRun[]>(key, (old) => old && mergeChanges(old, changed, filter));
  }, [changes.data, queryClient, key, filter]);
  // A relative window moves: at each look for changes, the page drops the runs that fell out of it.
  const now = Math.max(full.dataUpdatedAt, changes.dataUpdatedAt);
  const runs = useMemo(() => (full.data ?? []).filter((run) => matchesFilter(run, filter, now)), [full.data, filter, now]);
  return {
    runs,
    isLoading: full.isLoading,
    error: full.error ?? changes.error,
    problem: createdRange(filter, now).problem,
    truncated: (full.data?.length ?? 0) >= RUNS_LIMIT,
  };
}
