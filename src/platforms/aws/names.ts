/** Names shared by every ECS resource Sluice creates. */

/** The tag on every task (and the RunTask of every run) naming its flow run. */
export const FLOW_RUN_ID_TAG = "sluice.io/flow-run-id";
/** The container that runs the flow: always the first of the task definition. */
export const FLOW_CONTAINER = "flow-container";
/** RunTask's `startedBy` when the options name none (ListTasks can filter on it). */
export const DEFAULT_STARTED_BY = "sluice";
/** Prefix of the families Sluice derives from a definition's content. */
export const FAMILY_PREFIX = "sluice";

/**
 * The run-contract variables that differ from one run to the next. They are never written into a task
 * definition (which is shared by the runs of a flow version, and must not hold the API key); they reach
 * the container as RunTask overrides.
 */
export const RUN_SPECIFIC_VARIABLES: readonly string[] = ["SLUICE__API__KEY", "SLUICE__CONTEXT__FLOW_RUN_ID", "SLUICE__CONTEXT__IMAGE"];

/** A slug usable in a family name: lowercase letters, digits and "-". */
export function familySlug(text: string, max = 40): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, max)
    .replace(/-+$/, "");
}
