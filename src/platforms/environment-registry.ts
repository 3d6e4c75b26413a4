/**
 * Environment kinds: a kind string → the options that can come as JSON (config file, CLI flags, API)
 * as one zod schema, and a lazy loader of the class, so naming a kind never loads another kind's SDK
 * (`sluice run` of a local flow never loads dockerode). The schemas are built on first use, so naming a
 * kind does not load zod either. The kinds are those of the platforms (src/platforms/index.ts): a platform
 * declares its kinds in its platform.ts, and this registry adds the common options to each.
 */
import { deserializeEnvironment, type Environment } from "../core/environment.js";
import type { Executor, JsonObject } from "../core/executor.js";
import { resolveExecutor } from "../core/resolve-executor.js";
import { SLUICE_VERSION } from "../core/version.js";
import { lazy } from "../core/zod.js";
import { parseOptions } from "../core/parse-options.js";
import { Registry } from "../core/registry.js";
import { PLATFORMS } from "./index.js";
import type { EnvironmentClass, EnvironmentKind, PlatformEnvironmentKind } from "./platform.js";

export type { EnvironmentClass, EnvironmentKind } from "./platform.js";

/** The common options in their JSON form: the executor is a kind string. */
export const commonOptions = lazy((z) =>
  z.strictObject({
    labels: z.array(z.string().regex(/\S/, "give each label as a string with more than spaces")).optional(),
    metadata: z.record(z.string(), z.json()).optional(),
    executor: z.string().min(1, 'give an executor kind such as "local" or "concurrent"').optional(),
  }),
);

/** A platform's kind as the registry keeps it: the common options plus the kind's own, the schema built on first read of `options`. */
function fromPlatform(kind: PlatformEnvironmentKind): EnvironmentKind {
  const own = kind.options;
  const options = lazy(() => (own ? commonOptions().extend(own().shape) : commonOptions()));
  return {
    type: kind.type,
    needsImage: kind.needsImage ?? false,
    inProcess: kind.inProcess ?? false,
    get options() {
      return options();
    },
    load: kind.load as () => Promise<EnvironmentClass>,
  };
}

const kinds = new Registry<EnvironmentKind>({ noun: "environment", registerWith: "registerEnvironmentKind" });
for (const platform of PLATFORMS) for (const [kind, entry] of Object.entries(platform.environments)) kinds.register(kind, fromPlatform(entry));

/** Registers a kind at run time (the platforms' kinds are registered when this module loads). */
export function registerEnvironmentKind(kind: string, entry: EnvironmentKind): void {
  kinds.register(kind, entry);
}

/** The registered kinds. */
export function environmentKinds(): string[] {
  return kinds.kinds();
}

/** The registry entry of `kind`; an unknown kind is an error listing the known ones, reported on `field`. */
export function environmentKind(kind: string, field = "environment"): EnvironmentKind {
  return kinds.get(kind, field);
}

/** The kind whose class serializes as `type` (e.g. "DockerEnvironment" → "docker"), if registered. */
export function kindOfType(type: string): string | undefined {
  return kinds.findBy((entry) => entry.type === type)?.[0];
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

/** The kind of flows that name no environment: the flow runs in the process that executes it. */
export const DEFAULT_ENVIRONMENT_KIND = "local";

/** The environment of a flow that names none: one of the default kind (its class loads on first use). */
export async function defaultEnvironment(): Promise<Environment> {
  const Class = await environmentKind(DEFAULT_ENVIRONMENT_KIND).load();
  return new Class({});
}

/** What the server is told of a flow that names no environment: the default kind, without labels or metadata. */
export function defaultEnvironmentStandIn(): Environment {
  return deserializeEnvironment({ type: environmentKind(DEFAULT_ENVIRONMENT_KIND).type, version: SLUICE_VERSION, labels: [], metadata: {} });
}
