/**
 * Schemas shared by every resource of the API: dates, labels, states, errors, pages and the helpers that
 * read query strings.
 */
import { z } from "zod";
import { STATE_NAMES } from "../core/states.js";
import type { SerializedError } from "../core/errors.js";

/** An instant, ISO 8601 (offset allowed on input; the server answers in UTC with `Z`). */
export const IsoDate = z.iso.datetime({ offset: true, message: 'use an ISO 8601 date and time, e.g. "2026-01-31T12:00:00Z"' });

/** A label of a flow, run or agent. */
export const Label = z.string().min(1).max(200);
/** A set of labels; the server stores and returns it sorted and without duplicates. */
export const Labels = z.array(Label).max(100);

/** A JSON object (parameters, metadata, fields). */
export const JsonObject = z.record(z.string(), z.unknown());

export const StateNameSchema = z.enum(STATE_NAMES);

export const SerializedErrorSchema: z.ZodType<SerializedError, SerializedError> = z.object({
  name: z.string(),
  message: z.string(),
  stack: z.string().optional(),
  code: z.string().optional(),
  field: z.string().optional(),
  get cause(): z.ZodOptional<z.ZodType<SerializedError, SerializedError>> {
    return SerializedErrorSchema.optional();
  },
});

const stateFields = {
  name: StateNameSchema,
  /** Human-readable reason. */
  message: z.string().max(20_000).optional(),
  result: z.unknown().optional(),
  error: SerializedErrorSchema.optional(),
  attempt: z.number().int().min(1).optional(),
  retryAt: IsoDate.optional(),
  scheduledAt: IsoDate.optional(),
  mapCount: z.number().int().min(0).optional(),
  cached: z.boolean().optional(),
};

/** A state as the server returns it (same shape as core's State). */
export const StateSchema = z.object({ ...stateFields, timestamp: IsoDate });

/** A state as a caller sends it: the server stamps `timestamp` when it is missing. */
export const StateInputSchema = z.strictObject({ ...stateFields, timestamp: IsoDate.optional() });

/** One invalid field of a request. */
export const FieldErrorSchema = z.object({ field: z.string(), message: z.string() });

/** Every error response: `{ error: { code, message, field?, fields? } }`. */
export const ErrorBodySchema = z.object({
  error: z.object({
    /** Stable code (see ErrorCode in src/core/errors.ts). */
    code: z.string(),
    message: z.string(),
    /** The first offending field (dotted path; "body" for the whole body). */
    field: z.string().optional(),
    /** Every offending field, for validation errors. */
    fields: z.array(FieldErrorSchema).optional(),
  }),
});
export type ErrorBody = z.output<typeof ErrorBodySchema>;

/** A page of a list: pass `nextCursor` back as `cursor` to get the next page (absent on the last one). */
export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().optional() });

/** A path with one `:id` parameter. */
export const IdParams = z.object({ id: z.string().min(1) });

/** An integer query parameter with bounds and a default. */
export const queryInt = (min: number, max: number, fallback: number) => z.coerce.number().int().min(min).max(max).default(fallback);

/** A comma-separated query parameter (`state=Running,Failed`), also accepted as a repeated parameter. */
export const queryList = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) =>
      typeof v === "string"
        ? v
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s.length > 0)
        : v,
    z.array(item),
  );

/** A boolean query parameter: "true" or "false". */
export const queryBool = z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean());
