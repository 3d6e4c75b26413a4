/**
 * The scheduler Job of a worker cluster: the Job whose first container runs the flow with the
 * distributed executor and starts the workers. A pure function on plain objects.
 *
 * - Default spec: one container `flow`, no retries (`backoffLimit: 0`, `restartPolicy: Never`), the pull
 *   secrets of `imagePullSecret` (and the registry Secret of `privateRegistry`), and
 *   SLUICE__EXECUTOR__WORK_STEALING from the `workStealing` option.
 * - Custom spec (`schedulerSpecFile`): used as given; pull secrets and SLUICE__EXECUTOR__WORK_STEALING are
 *   the user's to add.
 * - Both: named `sluice-cluster-job-<run>` (the same run, the same name: creating it twice is idempotent);
 *   labels `sluice.io/identifier`, `sluice.io/flow-run-id` and `sluice.io/cluster-role=scheduler` on the
 *   Job and its pods; the first container's image, command and args set; the run's variables added to
 *   every container by name (a variable the spec sets is kept).
 */
import { buildFlowRunJob, type RunJobBase } from "../flow-run-job.js";
import type { JobManifest } from "../manifest-types.js";
import { CREATED_BY_LABEL } from "../names.js";
import { CLUSTER_ROLE_LABEL, schedulerJobName } from "./cluster-names.js";

/** Name of the scheduler's container in the default spec. */
export const SCHEDULER_CONTAINER = "flow";

/** The variable that turns work stealing on or off in the scheduler (the distributed executor's option). */
export const WORK_STEALING_VARIABLE = "SLUICE__EXECUTOR__WORK_STEALING";

/** The first container's command and args are Sluice's entry that loads the flow and calls `run()`. */
export interface SchedulerJobOptions extends RunJobBase {
  /** The user's scheduler spec (validated), or undefined for the default. */
  spec?: JobManifest;
  /** Pull secrets of the default spec (ignored for a custom spec). @default [] */
  imagePullSecrets?: readonly string[];
  /** Work stealing in the default spec (ignored for a custom spec). @default true */
  workStealing?: boolean;
  /** Value of the created-by label. @default "kubernetes-cluster-environment" */
  createdBy?: string;
  /** The namespace the Job goes to (a custom spec naming another one is an error). @default undefined */
  namespace?: string;
}

function defaultSpec(options: SchedulerJobOptions): JobManifest {
  const pullSecrets = (options.imagePullSecrets ?? []).map((name) => ({ name }));
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { labels: {} },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: {} },
        spec: {
          restartPolicy: "Never",
          ...(pullSecrets.length > 0 ? { imagePullSecrets: pullSecrets } : {}),
          containers: [{ name: SCHEDULER_CONTAINER, env: [{ name: WORK_STEALING_VARIABLE, value: String(options.workStealing ?? true) }] }],
        },
      },
    },
  };
}

/** The scheduler Job of `options.flowRunId`. The custom spec is not mutated. */
export function buildSchedulerJob(options: SchedulerJobOptions): JobManifest {
  const base = options.spec ? structuredClone(options.spec) : defaultSpec(options);
  base.metadata.name = schedulerJobName(options.flowRunId);
  delete base.metadata.generateName;
  const job = buildFlowRunJob(base, {
    image: options.image,
    flowRunId: options.flowRunId,
    identifier: options.identifier,
    env: options.env,
    command: options.command,
    args: options.args,
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
  });
  const createdBy = options.createdBy ?? "kubernetes-cluster-environment";
  for (const labels of [job.metadata.labels, job.spec.template.metadata.labels]) {
    labels[CLUSTER_ROLE_LABEL] = "scheduler";
    labels[CREATED_BY_LABEL] ??= createdBy;
  }
  return job;
}
