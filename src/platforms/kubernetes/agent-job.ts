/**
 * The stage "deploy" Job the Kubernetes agent creates for a claimed run: from the agent's Job
 * template (`--job-template`, else a built-in one), the first container runs the flow's image with
 * `sluice execute flow-run --stage deploy` and the run contract's variables (the API key as a Secret
 * reference). The Job is named from the run id, so creating it again for the same run is idempotent.
 * A pure function on plain objects.
 */
import { buildFlowRunJob } from "./flow-run-job.js";
import type { EnvVar, JobManifest } from "./manifest-types.js";
import { CREATED_BY_LABEL, dnsSlug, jobNameForRun } from "./names.js";

import { AGENT_LABEL } from "../../deployment/contract.js";

export { AGENT_LABEL };
/** Prefix of the agent's Job names when the template names none. */
export const AGENT_JOB_PREFIX = "sluice-run";

/** The built-in template: one container, never restarted, never retried (a failed stage "deploy" fails the run). */
export function defaultAgentTemplate(): JobManifest {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { labels: {} },
    spec: {
      backoffLimit: 0,
      template: { metadata: { labels: {} }, spec: { restartPolicy: "Never", containers: [{ name: "flow-run" }] } },
    },
  };
}

export interface AgentJobOptions {
  /** The agent's validated template. @default defaultAgentTemplate() */
  template?: JobManifest;
  /** The flow's image. */
  image: string;
  flowRunId: string;
  /** A fresh UUID for this launch. */
  identifier: string;
  /** The agent's name (labelled as a slug). */
  agentName: string;
  /** The run contract and the agent's extra variables. */
  env: readonly EnvVar[];
  /** How to start Sluice's CLI in the image. @default ["sluice"] */
  sluiceCommand?: readonly string[];
  /** Service account of the pod (wins over the template's). @default the template's */
  serviceAccountName?: string;
  /** Pull secrets added to the template's, by name. @default [] */
  imagePullSecrets?: readonly string[];
}

export function buildAgentJob(options: AgentJobOptions): JobManifest {
  const [program, ...rest] = options.sluiceCommand ?? ["sluice"];
  const template = options.template ?? defaultAgentTemplate();
  const job = buildFlowRunJob(template, {
    image: options.image,
    flowRunId: options.flowRunId,
    identifier: options.identifier,
    env: options.env,
    command: [program!],
    args: [...rest, "execute", "flow-run", "--stage", "deploy"],
  });
  job.metadata.name = jobNameForRun(template.metadata.name ?? AGENT_JOB_PREFIX, options.flowRunId);
  delete job.metadata.generateName;
  const agent = dnsSlug(options.agentName) || "agent";
  for (const labels of [job.metadata.labels, job.spec.template.metadata.labels]) {
    labels[CREATED_BY_LABEL] = "agent";
    labels[AGENT_LABEL] = agent;
  }
  const pod = job.spec.template.spec;
  if (options.serviceAccountName !== undefined) pod.serviceAccountName = options.serviceAccountName;
  const secrets = [...(pod.imagePullSecrets ?? [])];
  for (const name of options.imagePullSecrets ?? []) if (!secrets.some((s) => s.name === name)) secrets.push({ name });
  if (secrets.length > 0) pod.imagePullSecrets = secrets;
  return job;
}
