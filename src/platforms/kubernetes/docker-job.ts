/**
 * The Job of DockerOnKubernetesEnvironment (the kind that builds its own image): one container from the flow's image
 * running Sluice's entry, labelled with a fresh identifier and the flow-run id on the Job and its pods.
 * A pure function on plain objects. The pod never restarts and the Job never retries: a failed flow run
 * is reported by the run itself, not run again behind the server's back.
 */
import type { RunJobBase } from "./flow-run-job.js";
import type { JobManifest } from "./manifest-types.js";
import { CREATED_BY_LABEL, FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL, checkFlowRunId, jobNameForRun } from "./names.js";

/** Prefix of DockerOnKubernetesEnvironment's Job names (then the run id). */
export const DOCKER_JOB_PREFIX = "sluice-flow";
/** Name of the container that runs the flow. */
export const DOCKER_JOB_CONTAINER = "flow";

export interface DockerJobOptions extends RunJobBase {
  /** Value of the created-by label. @default "docker-on-kubernetes" */
  createdBy?: string;
}

export function buildDockerJob(options: DockerJobOptions): JobManifest {
  const flowRunId = checkFlowRunId(options.flowRunId);
  const labels = { [IDENTIFIER_LABEL]: options.identifier, [FLOW_RUN_ID_LABEL]: flowRunId, [CREATED_BY_LABEL]: options.createdBy ?? "docker-on-kubernetes" };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: jobNameForRun(DOCKER_JOB_PREFIX, flowRunId), labels: { ...labels } },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: { ...labels } },
        spec: {
          restartPolicy: "Never",
          containers: [
            {
              name: DOCKER_JOB_CONTAINER,
              image: options.image,
              command: [...options.command],
              args: [...options.args],
              env: structuredClone([...options.env]),
            },
          ],
        },
      },
    },
  };
}
