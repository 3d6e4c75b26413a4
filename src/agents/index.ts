/**
 * Agents: long-running processes that claim flow runs fitting their labels and deploy them. One polling
 * loop (Agent) for every kind; each kind is a Deployer in its own folder, listed in registry.ts.
 */
export { Agent, type AgentOptions } from "./agent.js";
export { nextPollDelay, type PollPacing } from "./backoff.js";
export type { AgentIdentity, DeployContext, Deployer, DeployerFactory, Deployment, RunEnvInput } from "./deployer.js";
export { agentKind, agentKinds, registerAgentKind, type AgentKind } from "./registry.js";
