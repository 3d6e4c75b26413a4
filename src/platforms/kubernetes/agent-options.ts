/**
 * The Kubernetes agent's options, compiled once from the configuration (the CLI's flags are config
 * overrides): namespace, pod service account and pull secrets, the Job template (read and validated at
 * start), whether finished Jobs are deleted, the Secret that holds the API key, and how long a run stopped
 * from outside is left to report its own termination.
 */
import type { SluiceConfig } from "../../config/schema.js";
import { SluiceError, showValue } from "../../core/errors.js";
import { loadJobSpec } from "./job-spec.js";
import { KUBERNETES_ENVIRONMENT_TYPES } from "./environment-types.js";
import type { KubernetesConnectionOptions } from "./kubernetes-api.js";
import type { JobManifest } from "./manifest-types.js";
import { jobNameProblem } from "./names.js";
import { checkSecretKeyRef, type SecretKeyRef } from "./run-env.js";
import type { RunRouting } from "../run-refusal.js";

/** The Secret name the agent references for the API key when the configuration names none. */
export const DEFAULT_API_KEY_SECRET = "sluice-api-key";

/**
 * How long the agent waits, when a run's pod is stopped from outside (evicted, deleted, its Job deleted or
 * past its deadline) before the run finished, for the run's process to end the run itself (Failed,
 * `TERMINATED`: it receives SIGTERM and has the pod's grace period) before the agent fails the run with
 * Kubernetes' reason. The wait is the pod's grace period (the deletion's, else its
 * `terminationGracePeriodSeconds`), or `defaultGracePeriodMs` when the agent saw no pod of the run, plus
 * `marginMs`, at most `maxWaitMs`, from when the agent first saw the stop. In ms.
 */
export interface TerminationReportOptions {
  /** Added to the grace period: time for the process's last report to reach the server. @default 5000 */
  marginMs: number;
  /** The grace period assumed when no pod of the run was seen (Kubernetes' default terminationGracePeriodSeconds). @default 30000 */
  defaultGracePeriodMs: number;
  /** The longest wait, whatever the pod's grace period (a pod may have hours). @default 300000 */
  maxWaitMs: number;
}

export const DEFAULT_TERMINATION_REPORT: Readonly<TerminationReportOptions> = { marginMs: 5_000, defaultGracePeriodMs: 30_000, maxWaitMs: 300_000 };

export interface KubernetesAgentOptions {
  /** Where Jobs are created and managed. */
  namespace: string;
  /** How to reach the Kubernetes API. */
  connection: KubernetesConnectionOptions;
  serviceAccountName: string | undefined;
  imagePullSecrets: string[];
  /** The validated `--job-template`, if any. */
  template: JobManifest | undefined;
  deleteFinishedJobs: boolean;
  /** Where pods take SLUICE__API__KEY from; undefined when the agent has no API key (server without auth). */
  apiKeySecret: SecretKeyRef | undefined;
  /** How to start Sluice's CLI in the flow's image. */
  sluiceCommand: string[];
  /** Variables every stage "deploy" pod gets besides the run contract (reporting pace, ...). */
  env: Record<string, string>;
  /** How long a run stopped from outside is left to report its own termination. */
  terminationReport: TerminationReportOptions;
  /** Serialized environment types whose runs happen in Kubernetes Jobs (stage "deploy" itself, or a Job it creates). */
  followedTypes: ReadonlySet<string>;
  /** Which runs the agent takes: others are refused at claim, naming the agent kinds that run them. */
  routing: RunRouting;
}

export interface KubernetesAgentExtras {
  /** How to start Sluice's CLI in the flow's image. @default ["sluice"] */
  sluiceCommand?: readonly string[];
  /** Variables every stage "deploy" pod gets besides the run contract. @default {} */
  env?: Readonly<Record<string, string>>;
  /** How long a run stopped from outside is left to report its own termination (each field in ms). @default DEFAULT_TERMINATION_REPORT */
  terminationReport?: Readonly<Partial<TerminationReportOptions>>;
  /** Serialized environment types whose runs happen in Kubernetes Jobs. @default the Kubernetes platform's environment types */
  followedTypes?: ReadonlySet<string>;
  /**
   * The environment types this agent runs (`runs`) and the agent kinds that run a type (`runnersOf`); a run
   * of any other type is refused when claimed, before a Job is created (e.g. a DockerEnvironment run, whose
   * stage "deploy" would need a Docker engine in the pod). `sluice agent start kubernetes` gives the types
   * its kind launches plus those that run in process.
   * @default {} (no check: every run is deployed)
   */
  routing?: RunRouting;
}

function compileTerminationReport(given: Readonly<Partial<TerminationReportOptions>> = {}): TerminationReportOptions {
  const compiled = { ...DEFAULT_TERMINATION_REPORT };
  for (const key of Object.keys(DEFAULT_TERMINATION_REPORT) as (keyof TerminationReportOptions)[]) {
    const value = given[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new SluiceError(
        "INVALID_OPTION",
        `Kubernetes agent: terminationReport.${key} ${showValue(value)} is not a duration: give a finite number of milliseconds, 0 or more`,
        {
          field: `terminationReport.${key}`,
          value,
        },
      );
    }
    compiled[key] = value;
  }
  return compiled;
}

export function compileKubernetesAgentOptions(config: SluiceConfig, extras: KubernetesAgentExtras = {}): KubernetesAgentOptions {
  const k = config.kubernetes;
  const problem = jobNameProblem(k.namespace);
  if (problem) {
    throw new SluiceError("INVALID_OPTION", `Kubernetes agent: --namespace ${showValue(k.namespace)} is not a valid namespace: ${problem}`, {
      field: "kubernetes.namespace",
      value: k.namespace,
    });
  }
  for (const name of k.imagePullSecrets) checkSecretKeyRef({ name, key: "x" }, "--image-pull-secrets");
  if (k.serviceAccountName !== undefined && jobNameProblem(k.serviceAccountName, 253)) {
    throw new SluiceError("INVALID_OPTION", `Kubernetes agent: --service-account ${showValue(k.serviceAccountName)} is not a valid service account name`, {
      field: "kubernetes.serviceAccountName",
      value: k.serviceAccountName,
    });
  }
  const template = k.jobTemplate === undefined ? undefined : loadJobSpec(k.jobTemplate, { owner: "Kubernetes agent", option: "--job-template" }).spec;
  const secretName = k.apiKeySecretName ?? (config.api.key !== undefined ? DEFAULT_API_KEY_SECRET : undefined);
  return {
    namespace: k.namespace,
    connection: { ...(k.kubeconfig !== undefined ? { kubeconfig: k.kubeconfig } : {}), ...(k.context !== undefined ? { context: k.context } : {}) },
    serviceAccountName: k.serviceAccountName,
    imagePullSecrets: [...k.imagePullSecrets],
    template,
    deleteFinishedJobs: k.deleteFinishedJobs,
    apiKeySecret: secretName === undefined ? undefined : checkSecretKeyRef({ name: secretName, key: k.apiKeySecretKey }, "kubernetes.apiKeySecretName"),
    sluiceCommand: [...(extras.sluiceCommand ?? ["sluice"])],
    env: { ...extras.env },
    terminationReport: compileTerminationReport(extras.terminationReport),
    followedTypes: new Set(extras.followedTypes ?? Object.values(KUBERNETES_ENVIRONMENT_TYPES)),
    routing: { ...extras.routing },
  };
}
