/**
 * Environment kinds: a kind string → the options that can come as JSON (config file, CLI flags, API)
 * as one zod schema, and a lazy loader of the class, so naming a kind never loads another kind's SDK
 * (`sluice run` of a local flow never loads dockerode). The schemas are built on first use, so naming a
 * kind does not load zod either. To add a kind, add ONE entry to `kinds`:
 *
 *   "kubernetes-job": builtIn("KubernetesJobEnvironment", true, kubernetesJobEnvironmentSchema,
 *                             async () => (await import("./kubernetes/index.js")).KubernetesJobEnvironment),
 */
import type { z } from "zod";
import type { Environment, EnvironmentOptions } from "../core/environment.js";
import { SluiceError, showValue } from "../core/errors.js";
import type { Executor, JsonObject } from "../core/executor.js";
import { resolveExecutor } from "../core/resolve-executor.js";
import { lazy } from "../core/zod.js";
import { parseOptions } from "../storage/parse-options.js";
import { dockerEnvironmentSchema } from "./docker/options.js";
import { clusterOnKubernetesEnvironmentSchema, kubernetesClusterEnvironmentSchema } from "./cluster/options.js";
import { dockerOnKubernetesEnvironmentSchema, kubernetesJobEnvironmentSchema } from "./kubernetes/options.js";

/** The common options in their JSON form: the executor is a kind string. */
export const commonOptions = lazy((z) =>
  z.strictObject({
    labels: z.array(z.string().min(1, "labels are non-empty strings")).optional(),
    metadata: z.record(z.string(), z.json()).optional(),
    executor: z.string().min(1, "give an executor kind such as \"local\" or \"concurrent\"").optional(),
  }),
);

/** An environment class as the registry loads it. */
export type EnvironmentClass = new (options: EnvironmentOptions & Record<string, unknown>) => Environment;

export interface EnvironmentKind {
  /** The serialized type of the kind's class, e.g. "DockerEnvironment". */
  type: string;
  /** The flow's code must be in an image (DockerStorage) for this kind to launch it. */
  needsImage: boolean;
  /** Schema of the options in JSON form (common options included). */
  options: z.ZodType<Record<string, unknown>>;
  /** Loads the class (one dynamic import). */
  load: () => Promise<EnvironmentClass>;
}

/** A built-in kind: its options are the common ones plus the kind's own (`own`), the schema built on first read of `options`. */
function builtIn(type: string, needsImage: boolean, own: (() => z.ZodObject) | undefined, load: () => Promise<unknown>): EnvironmentKind {
  const options = lazy(() => (own ? commonOptions().extend(own().shape) : commonOptions()));
  return {
    type,
    needsImage,
    get options() {
      return options();
    },
    load: load as () => Promise<EnvironmentClass>,
  };
}

const kinds: Record<string, EnvironmentKind> = {
  local: builtIn("LocalEnvironment", false, undefined, async () => (await import("./local/index.js")).LocalEnvironment),
  docker: builtIn("DockerEnvironment", true, dockerEnvironmentSchema, async () => (await import("./docker/index.js")).DockerEnvironment),
  "kubernetes-job": builtIn("KubernetesJobEnvironment", true, kubernetesJobEnvironmentSchema, async () => (await import("./kubernetes/index.js")).KubernetesJobEnvironment),
  "docker-on-kubernetes": builtIn("DockerOnKubernetesEnvironment", false, dockerOnKubernetesEnvironmentSchema, async () => (await import("./kubernetes/index.js")).DockerOnKubernetesEnvironment),
  "kubernetes-cluster": builtIn("KubernetesClusterEnvironment", true, kubernetesClusterEnvironmentSchema, async () => (await import("./cluster/index.js")).KubernetesClusterEnvironment),
  "cluster-on-kubernetes": builtIn("ClusterOnKubernetesEnvironment", false, clusterOnKubernetesEnvironmentSchema, async () => (await import("./cluster/index.js")).ClusterOnKubernetesEnvironment),
};

/** Registers a kind at run time (built-in kinds are listed in `kinds` above). */
export function registerEnvironmentKind(kind: string, entry: EnvironmentKind): void {
  if (typeof kind !== "string" || !/^[a-z][a-z0-9-]*$/.test(kind)) {
    throw new SluiceError("INVALID_OPTION", `environment kind ${showValue(kind)} is not valid; use lowercase letters, digits and -`, { field: "kind", value: kind });
  }
  kinds[kind] = entry;
}

/** The registered kinds. */
export function environmentKinds(): string[] {
  return Object.keys(kinds);
}

/** The registry entry of `kind`; an unknown kind is an error listing the known ones. */
export function environmentKind(kind: string, field = "environment"): EnvironmentKind {
  const entry = Object.hasOwn(kinds, kind) ? kinds[kind] : undefined;
  if (!entry) {
    throw new SluiceError("INVALID_OPTION", `unknown environment kind ${showValue(kind)}; known kinds: ${environmentKinds().join(", ")}`, { field, value: kind, kind });
  }
  return entry;
}

/** The kind whose class serializes as `type` (e.g. "DockerEnvironment" → "docker"), if registered. */
export function kindOfType(type: string): string | undefined {
  return Object.entries(kinds).find(([, entry]) => entry.type === type)?.[0];
}

/**
 * Creates an environment of `kind` from options in JSON form (validated; errors name the field). An
 * executor kind is resolved through the executor registry; `executor` (an object) wins over it.
 */
export async function createEnvironment(kind: string, options: JsonObject = {}, executor?: Executor): Promise<Environment> {
  const entry = environmentKind(kind);
  const parsed = parseOptions(entry.options, options, `environment "${kind}"`);
  const { executor: executorKind, ...rest } = parsed as { executor?: string } & Record<string, unknown>;
  const resolved = executor ?? (executorKind === undefined ? undefined : await resolveExecutor(executorKind, "executor"));
  const Class = await entry.load();
  return new Class({ ...rest, ...(resolved ? { executor: resolved } : {}) });
}
