/** Flows: a named, versioned registration of a flow's environment, storage, parameters and task graph. */
import { z } from "zod";
import { defineOperation } from "./operation.js";
import { IdParams, IsoDate, JsonObject, Labels, pageOf, queryInt } from "./common.js";

/**
 * A serialized environment (what `Environment.serialize()` gives): `type`, `labels`, `metadata` and a few
 * declared scalar fields, kept as sent.
 */
export const SerializedEnvironmentSchema = z.looseObject({
  type: z.string().min(1),
  version: z.union([z.string(), z.number()]).optional(),
  labels: Labels.default([]),
  metadata: JsonObject.default({}),
});

/** A serialized storage (`Storage.serialize()`), kept as sent. */
export const SerializedStorageSchema = z.looseObject({ type: z.string().min(1) });

export const TaskNodeSchema = z.strictObject({
  /** Unique key of the task in the flow. */
  key: z.string().min(1).max(500),
  /** Display name. */
  name: z.string().max(500),
  /** Keys of the tasks this one waits for. */
  upstream: z.array(z.string()).default([]),
  /** True when the task is mapped over an iterable (its runs have map indexes 0..n-1). */
  mapped: z.boolean().default(false),
});

export const TaskGraphSchema = z.strictObject({ tasks: z.array(TaskNodeSchema).max(100_000) }).superRefine((graph, ctx) => {
  const keys = new Set<string>();
  graph.tasks.forEach((task, i) => {
    if (keys.has(task.key))
      ctx.addIssue({ code: "custom", path: ["tasks", i, "key"], message: `duplicate task key ${JSON.stringify(task.key)}: keys must be unique in a flow` });
    keys.add(task.key);
  });
  graph.tasks.forEach((task, i) =>
    task.upstream.forEach((up, j) => {
      if (!keys.has(up))
        ctx.addIssue({
          code: "custom",
          path: ["tasks", i, "upstream", j],
          message: `upstream ${JSON.stringify(up)} is not the key of a task of this flow: list only keys of this flow's tasks`,
        });
    }),
  );
});

export const FlowName = z.string().min(1).max(200);

export const RegisterFlowBody = z.strictObject({
  name: FlowName,
  environment: SerializedEnvironmentSchema,
  storage: SerializedStorageSchema,
  /** JSON schema (draft 2020-12 or draft-07) of the flow's parameters object. @default {"type":"object"} */
  parameterSchema: JsonObject.default({ type: "object" }),
  /** Values used for parameters a run does not give. @default {} */
  parameterDefaults: JsonObject.default({}),
  /** @default { tasks: [] } */
  taskGraph: TaskGraphSchema.default({ tasks: [] }),
  description: z.string().max(10_000).optional(),
});

export const FlowSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** 1 for the first registration of a name; +1 each time the content changes. */
  version: z.number().int(),
  environment: SerializedEnvironmentSchema,
  storage: SerializedStorageSchema,
  parameterSchema: JsonObject,
  parameterDefaults: JsonObject,
  taskGraph: z.object({ tasks: z.array(z.object({ key: z.string(), name: z.string(), upstream: z.array(z.string()), mapped: z.boolean() })) }),
  description: z.string().nullable(),
  /** The environment's labels (sorted): the default labels of the flow's runs. */
  labels: Labels,
  /** SHA-256 of the registered content; the same content registers no new version. */
  contentHash: z.string(),
  createdAt: IsoDate,
});
export type Flow = z.output<typeof FlowSchema>;

export const RegisterFlowResponse = z.object({
  flowId: z.string(),
  version: z.number().int(),
  /** False when the latest version already had this content (nothing was written). */
  created: z.boolean(),
  flow: FlowSchema,
});

export const ListFlowsQuery = z.object({
  /** Only the versions of this flow name (newest first). */
  name: z.string().optional(),
  limit: queryInt(1, 1000, 100),
  cursor: z.string().optional(),
});

export const flowOperations = {
  registerFlow: defineOperation({
    id: "registerFlow",
    method: "POST",
    path: "/api/flows",
    tag: "flows",
    summary: "Register a flow; a new version is created only when the content changed",
    body: RegisterFlowBody,
    response: RegisterFlowResponse,
    status: 200,
    idempotent: true,
  }),
  getFlow: defineOperation({
    id: "getFlow",
    method: "GET",
    path: "/api/flows/:id",
    tag: "flows",
    summary: "Get a flow version by id",
    params: IdParams,
    response: FlowSchema,
    status: 200,
    idempotent: true,
  }),
  listFlows: defineOperation({
    id: "listFlows",
    method: "GET",
    path: "/api/flows",
    tag: "flows",
    summary: "List flow versions, newest first",
    query: ListFlowsQuery,
    response: pageOf(FlowSchema),
    status: 200,
    idempotent: true,
  }),
};
