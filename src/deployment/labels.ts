/**
 * The labels that tie a flow run's resources together, on every platform (Kubernetes Jobs and pods,
 * Docker containers, ...): the flow-run id is the key; the identifier tells one launch from another.
 */

/** The id of the flow run a resource executes. */
export const FLOW_RUN_ID_LABEL = "sluice.io/flow-run-id";
/** A fresh UUID per launch, for cleanup of exactly what that launch created. */
export const IDENTIFIER_LABEL = "sluice.io/identifier";
/** The name of the agent that launched a resource (a slug of it where the platform restricts label values). */
export const AGENT_LABEL = "sluice.io/agent";
