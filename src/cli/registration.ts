/**
 * What `sluice register` sends the server for a flow (its serialized environment and storage, parameters
 * and task graph). Its own module so tests, agents' fixtures and benchmarks can build registrations without
 * loading the command's implementation.
 */
import type { RegisterFlowInput } from "../client/index.js";
import type { Environment } from "../core/environment.js";
import type { JsonObject } from "../core/executor.js";
import type { AnyFlow } from "../core/flow.js";
import type { Storage } from "../core/storage.js";
import { defaultEnvironmentStandIn } from "../platforms/environment-registry.js";
import { storageImage } from "../deployment/prepare.js";

/** The defaults a parameters JSON schema declares (top-level properties only). */
export function parameterDefaults(schema: JsonObject): JsonObject {
  const properties = schema.properties;
  if (typeof properties !== "object" || properties === null || Array.isArray(properties)) return {};
  const out: JsonObject = {};
  for (const [name, property] of Object.entries(properties)) {
    if (property && typeof property === "object" && !Array.isArray(property) && "default" in property && property.default !== undefined)
      out[name] = property.default;
  }
  return out;
}

/** What the server is told about a flow: its serialized environment and storage, parameters and task graph. */
export function registrationOf(flow: AnyFlow, storage: Storage, labels: readonly string[] = []): RegisterFlowInput {
  const environment: Environment = (flow.environment as Environment | undefined) ?? defaultEnvironmentStandIn();
  for (const label of labels) environment.labels.add(label);
  const image = storageImage(storage);
  if (image !== undefined && environment.metadata.image === undefined) environment.metadata.image = image;
  const description = flow.describe();
  const parameterSchema = flow.parametersJsonSchema();
  const input: RegisterFlowInput = {
    name: flow.name,
    environment: environment.serialize(),
    storage: storage.serialize(),
    parameterSchema,
    parameterDefaults: parameterDefaults(parameterSchema),
    taskGraph: { tasks: description.tasks.map((t) => ({ key: t.key, name: t.name, upstream: t.upstream, mapped: t.mapped })) },
  };
  if (flow.description !== undefined) input.description = flow.description;
  return input;
}
