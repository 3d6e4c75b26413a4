/**
 * The Job of one flow run, built from a user's job spec. A pure function on plain objects:
 * the input is never mutated, and only these fields of the copy change:
 * - `metadata.name`: kept, or generated from the run id when the spec has neither name nor generateName;
 *   with `uniqueSuffix`, "-<suffix>" is appended (the name cut to stay within 63 characters);
 * - labels `sluice.io/identifier` and `sluice.io/flow-run-id` on the Job and on the pod template (and the
 *   placeholder labels `identifier` / `flow_run_id` of older job specs, where the spec has them, get the same values);
 * - the FIRST container's image, and its command and args when the spec leaves both empty; a non-empty
 *   command or args is the user's own wrapper and is kept, and the container then gets Sluice's entry in
 *   SLUICE_ENTRY_COMMAND (shell words) and SLUICE_ENTRY_COMMAND_JSON (a JSON array), to run after its own steps;
 * - every container's env gets each run variable it does not already define (by name: the user's wins).
 * Everything else (resources, volumes, sidecars, nodeSelector, tolerations, serviceAccountName,
 * imagePullSecrets, restartPolicy, ...) is carried over untouched.
 */
import { SluiceError, showValue } from "../../core/errors.js";
import type { Container, EnvVar, JobManifest } from "./manifest-types.js";
import { FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL, checkFlowRunId, jobNameForRun, labelValueProblem, withSuffix } from "./names.js";

/** Placeholder labels that older job specs carry, filled with the same values as Sluice's own labels. */
export const LEGACY_LABELS = { identifier: "identifier", flowRunId: "flow_run_id" } as const;

/** Prefix of Job names generated from the run id when the spec names none. */
export const GENERATED_NAME_PREFIX = "sluice";

/** What every Job that runs a flow run is made from (flow-run, Docker and scheduler Jobs). */
export interface RunJobBase {
  /** Image of the first container (the flow's image). */
  image: string;
  /** The flow run the Job executes; labels the Job and its pods. */
  flowRunId: string;
  /** A fresh id for this launch (a UUID), labelling the Job and its pods for cleanup. */
  identifier: string;
  /** Variables added by name to every container (the run contract); a variable a container already has is kept. */
  env: readonly EnvVar[];
  /** Command of the first container: the entry that loads and runs the flow. */
  command: readonly string[];
  /** Args of the first container. */
  args: readonly string[];
}

export interface FlowRunJobOptions extends RunJobBase {
  /** When set, the Job's name gets "-<uniqueSuffix>" (uniqueJobName). @default undefined */
  uniqueSuffix?: string;
  /** The namespace the Job is created in; a spec naming another namespace is an error. @default undefined (not checked) */
  namespace?: string;
}

function fail(field: string, value: unknown, message: string): never {
  throw new SluiceError("INVALID_INPUT", message, { field, value, kind: "kubernetes-job" });
}

function checkLabel(field: string, value: string): void {
  const problem = labelValueProblem(value);
  if (problem) fail(field, value, `${field} ${showValue(value)} cannot be a Kubernetes label value: ${problem}`);
}

function setRunLabels(labels: Record<string, string>, identifier: string, flowRunId: string): void {
  labels[IDENTIFIER_LABEL] = identifier;
  labels[FLOW_RUN_ID_LABEL] = flowRunId;
  if (Object.hasOwn(labels, LEGACY_LABELS.identifier)) labels[LEGACY_LABELS.identifier] = identifier;
  if (Object.hasOwn(labels, LEGACY_LABELS.flowRunId)) labels[LEGACY_LABELS.flowRunId] = flowRunId;
}

/** `container.env` plus each of `add` whose name it does not define yet (its own values win, nothing is duplicated). */
export function mergeEnv(existing: readonly EnvVar[] | undefined, add: readonly EnvVar[]): EnvVar[] {
  const out = [...(existing ?? [])];
  const names = new Set(out.map((e) => e.name));
  for (const variable of add) {
    if (names.has(variable.name)) continue;
    names.add(variable.name);
    out.push(structuredClone(variable));
  }
  return out;
}

/** The Job that runs `options.flowRunId`, from a deep copy of `spec`. */
export function buildFlowRunJob(spec: JobManifest, options: FlowRunJobOptions): JobManifest {
  const flowRunId = checkFlowRunId(options.flowRunId);
  checkLabel("identifier", options.identifier);
  if (typeof options.image !== "string" || options.image.trim() === "") {
    fail("image", options.image, `the flow's image is ${showValue(options.image)}; set metadata.image on the environment or use Docker storage`);
  }
  const job = structuredClone(spec);
  const metadata = job.metadata;
  if (options.namespace !== undefined && metadata.namespace !== undefined && metadata.namespace !== options.namespace) {
    fail(
      "metadata.namespace",
      metadata.namespace,
      `the job spec's metadata.namespace ${showValue(metadata.namespace)} differs from the run's namespace ${showValue(options.namespace)}; ` +
        "remove metadata.namespace from the job spec, or run the flow in that namespace (SLUICE__CONTEXT__NAMESPACE)",
    );
  }
  if (metadata.name === undefined && metadata.generateName === undefined) metadata.name = jobNameForRun(GENERATED_NAME_PREFIX, flowRunId);
  if (options.uniqueSuffix !== undefined && metadata.name !== undefined) metadata.name = withSuffix(metadata.name, options.uniqueSuffix);

  setRunLabels(metadata.labels, options.identifier, flowRunId);
  setRunLabels(job.spec.template.metadata.labels, options.identifier, flowRunId);

  const containers: Container[] = job.spec.template.spec.containers;
  const first = containers[0];
  if (!first) return fail("spec.template.spec.containers", containers, "the job spec has no container to run the flow in");
  first.image = options.image;
  const ownCommand = hasOwnCommand(first);
  if (!ownCommand) {
    first.command = [...options.command];
    first.args = [...options.args];
  }
  for (const container of containers) container.env = mergeEnv(container.env, options.env);
  if (ownCommand) {
    const entry = [...options.command, ...options.args];
    first.env = mergeEnv(first.env, [
      { name: ENTRY_COMMAND_VARIABLE, value: shellWords(entry) },
      { name: ENTRY_COMMAND_JSON_VARIABLE, value: JSON.stringify(entry) },
    ]);
  }
  return job;
}

/**
 * Given to a first container that keeps its own command: Sluice's entry command (what it would run
 * otherwise) as POSIX shell words, each single-quoted; a shell wrapper runs it with
 * `eval "exec $SLUICE_ENTRY_COMMAND"`.
 */
export const ENTRY_COMMAND_VARIABLE = "SLUICE_ENTRY_COMMAND";
/** The same entry command as a JSON array of strings, for wrappers that are not shell scripts. */
export const ENTRY_COMMAND_JSON_VARIABLE = "SLUICE_ENTRY_COMMAND_JSON";

/** A first container with a non-empty command or args runs the user's own program (a wrapper), which Sluice keeps. */
const hasOwnCommand = (container: Container): boolean => (container.command?.length ?? 0) > 0 || (container.args?.length ?? 0) > 0;

/** `words` as one POSIX shell string: each word single-quoted (a quote inside becomes '\''). */
export function shellWords(words: readonly string[]): string {
  return words.map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(" ");
}
