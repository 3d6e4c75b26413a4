/**
 * The run views the UI reads (src/api/run-views.ts) and the one API addition it still only designs:
 * filters of the runs list (labels, free text, a creation time range, changes since a time). The list
 * sends them; a server that does not know them ignores them, and the page applies the same filter.
 */
import { z } from "zod";

export { RunEventSchema, aggregateRunGraph, runViewOperations, type RunEvent, type RunGraphNode } from "../../api/run-views.js";

/** Extra filters of GET /api/flow-runs (designed, not yet served). */
export const RunListFilterQuery = z.object({
  /** Runs having every one of these labels (comma-separated). */
  label: z.string().optional(),
  /** Free text: a run id (exact) or part of the run's name (case-insensitive). */
  q: z.string().max(200).optional(),
  /** Runs created at or after this instant. */
  createdAfter: z.iso.datetime({ offset: true }).optional(),
  /** Runs created before this instant. */
  createdBefore: z.iso.datetime({ offset: true }).optional(),
  /** Runs changed after this instant (live updates of a list ask only for what changed). */
  updatedAfter: z.iso.datetime({ offset: true }).optional(),
});
