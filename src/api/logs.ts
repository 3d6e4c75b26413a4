/**
 * Logs of flow runs and task runs: written in batches, read with a cursor (`logs --follow` polls with the
 * `nextCursor` of the previous answer as `after`).
 */
import { z } from "zod";
import { defineOperation } from "./operation.js";
import { IdParams, IsoDate, JsonObject, queryInt } from "./common.js";

export const API_LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"] as const;
export const LogLevelSchema = z.enum(API_LOG_LEVELS);
export type ApiLogLevel = z.output<typeof LogLevelSchema>;

export const LogInputSchema = z.strictObject({
  flowRunId: z.string().min(1),
  taskRunId: z.string().min(1).optional(),
  level: LogLevelSchema,
  message: z.string().max(100_000),
  /** When the line was logged. @default the time the server received it */
  timestamp: IsoDate.optional(),
  fields: JsonObject.optional(),
});
export type LogInput = z.input<typeof LogInputSchema>;

export const WriteLogsBody = z.strictObject({ logs: z.array(LogInputSchema).min(1).max(10_000) });

export const LogRecordSchema = z.object({
  /** Increasing per flow run: the cursor of `after`. */
  id: z.string(),
  flowRunId: z.string(),
  taskRunId: z.string().nullable(),
  level: LogLevelSchema,
  message: z.string(),
  timestamp: IsoDate,
  fields: JsonObject.nullable(),
});
export type LogRecordOut = z.output<typeof LogRecordSchema>;

export const ReadLogsQuery = z.object({
  /** Only lines after this cursor (a previous answer's `nextCursor`). */
  after: z.string().regex(/^\d+$/, "use a previous answer's nextCursor").optional(),
  /** Minimum level. */
  level: LogLevelSchema.optional(),
  taskRunId: z.string().optional(),
  limit: queryInt(1, 5000, 1000),
});

export const ReadLogsResponse = z.object({
  items: z.array(LogRecordSchema),
  /** Pass as `after` to get the lines written since (always present, also on an empty page). */
  nextCursor: z.string(),
});

export const logOperations = {
  writeLogs: defineOperation({
    id: "writeLogs",
    method: "POST",
    path: "/api/logs",
    tag: "logs",
    summary: "Write a batch of log lines (one transaction)",
    body: WriteLogsBody,
    response: z.object({ count: z.number().int() }),
    status: 200,
    idempotent: false,
  }),
  readLogs: defineOperation({
    id: "readLogs",
    method: "GET",
    path: "/api/flow-runs/:id/logs",
    tag: "logs",
    summary: "Read a flow run's logs after a cursor, oldest first",
    params: IdParams,
    query: ReadLogsQuery,
    response: ReadLogsResponse,
    status: 200,
    idempotent: true,
  }),
};
