/**
 * What of FargateTaskEnvironment's options the server may know, and how the ECS agent reads them back.
 *
 * The server may hold the environment's own choices (launch type, region, Sluice's poll interval and start
 * deadline) but never a cloud API argument: no task-definition or RunTask key, not even a scalar one such as
 * cpu or a role ARN, and never a credential. Those options stay in the flow's image with the flow; the
 * record carries only their names (`awsOptionsInImage`), so the ECS agent knows it cannot rebuild them and
 * lets the environment loaded from the image (stage "deploy") launch the run with all of them.
 */
import type { SerializedScalar } from "../../core/environment.js";
import { SluiceError, showValue } from "../../core/errors.js";
import { RUN_TASK_KEYS, TASK_DEFINITION_KEYS, type SplitOptions } from "./options.js";

/** Scalar AWS options carried by `serialize()`, by the part of the options they belong to. */
export const SERIALIZED_AWS_KEYS: Readonly<Record<"environment" | "taskDefinition" | "runTask", readonly string[]>> = {
  environment: ["regionName"],
  taskDefinition: [],
  runTask: [],
};

/** FargateTaskEnvironment's own scalar options carried by `serialize()`. */
export const SERIALIZED_OWN_KEYS = ["pollIntervalMs", "startDeadlineMs"] as const;

/** The serialized field naming the structured options that only the flow's image holds (comma-separated). */
export const IN_IMAGE_FIELD = "awsOptionsInImage";

type Part = keyof typeof SERIALIZED_AWS_KEYS;

/** The declared fields of a FargateTaskEnvironment: launchType, its region and own scalars, and the names of the AWS options given. */
export function serializeFargateOptions(
  split: SplitOptions,
  own: Partial<Record<(typeof SERIALIZED_OWN_KEYS)[number], number>>,
): Record<string, SerializedScalar> {
  const fields: Record<string, SerializedScalar> = { launchType: split.environment.launchType };
  const inImage: string[] = [];
  for (const part of ["environment", "taskDefinition", "runTask"] as const) {
    const values = split[part] as Record<string, unknown>;
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined || key === "launchType" || /^aws(AccessKeyId|SecretAccessKey|SessionToken)$/.test(key)) continue;
      if (SERIALIZED_AWS_KEYS[part].includes(key)) fields[key] = value as SerializedScalar;
      else if (!inImage.includes(key)) inImage.push(key);
    }
  }
  for (const key of SERIALIZED_OWN_KEYS) if (own[key] !== undefined) fields[key] = own[key];
  if (inImage.length > 0) fields[IN_IMAGE_FIELD] = inImage.sort().join(",");
  return fields;
}

/** The options a FargateTaskEnvironment's record gives back: what to pass to its constructor or the agent's splitter. */
export interface RebuiltFargateOptions {
  /** launchType, regionName and the environment's own scalars, as `new FargateTaskEnvironment()` takes them. */
  options: Record<string, string | number | boolean>;
  /** Names of the AWS options only the flow's image holds (empty when the record is the whole story). */
  inImage: string[];
}

/**
 * Reads the declared fields of a serialized FargateTaskEnvironment back into options. The record comes
 * from the server: a field of the wrong type fails naming it (the values are validated again by the
 * options' splitter when used).
 */
export function fargateOptionsFromRecord(record: Readonly<Record<string, unknown>>): RebuiltFargateOptions {
  const options: Record<string, string | number | boolean> = {};
  const take = (key: string) => {
    const value = record[key];
    if (value === undefined || value === null) return;
    if (!["string", "number", "boolean"].includes(typeof value)) {
      throw new SluiceError("INVALID_INPUT", `serialized FargateTaskEnvironment: field ${key} is ${showValue(value)}; expected a string, number or boolean`, {
        field: key,
        value,
        kind: "fargate-task",
      });
    }
    options[key] = value as string | number | boolean;
  };
  take("launchType");
  for (const part of Object.keys(SERIALIZED_AWS_KEYS) as Part[]) for (const key of SERIALIZED_AWS_KEYS[part]) take(key);
  for (const key of SERIALIZED_OWN_KEYS) take(key);
  const listed = record[IN_IMAGE_FIELD];
  const inImage = typeof listed === "string" && listed !== "" ? listed.split(",") : [];
  // A record registered by an earlier Sluice may still hold AWS arguments (cluster, memory, roles...). They
  // are never read from the server, but they show that the image holds them: the environment loaded from
  // the image launches with them, so a flow keeps its cluster and sizes without being registered again.
  for (const key of new Set<string>([...TASK_DEFINITION_KEYS, ...RUN_TASK_KEYS])) {
    if (record[key] !== undefined && record[key] !== null && !inImage.includes(key)) inImage.push(key);
  }
  return { options, inImage: inImage.sort() };
}
