/** Conversions between database rows (ms integers, JSON text, 0/1) and the API's shapes. */
import type { State } from "../../core/states.js";
import { SluiceError } from "../../core/errors.js";

export const iso = (ms: number): string => new Date(Number(ms)).toISOString();
export const isoOrNull = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : iso(ms));
export const toMs = (isoDate: string): number => Date.parse(isoDate);

export const parseJson = <T>(text: string): T => JSON.parse(text) as T;
export const parseJsonOrNull = <T>(text: string | null): T | null => (text === null ? null : (JSON.parse(text) as T));

/** A state's JSON as stored (the full State, result and error included). */
export const stateOf = (stateJson: string): State => JSON.parse(stateJson) as State;

/** A page of rows ordered by `seq`: the extra row fetched tells whether there is a next page. */
export function pageFrom<R extends { seq: number }, T>(rows: R[], limit: number, map: (row: R) => T): { items: T[]; nextCursor?: string } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return rows.length > limit && last ? { items: items.map(map), nextCursor: String(last.seq) } : { items: items.map(map) };
}

/** The `seq` a cursor points at; a cursor that is not one of ours is an INVALID_INPUT on `cursor`. */
export function cursorSeq(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  if (!/^\d{1,15}$/.test(cursor))
    throw new SluiceError(
      "INVALID_INPUT",
      `cursor ${JSON.stringify(cursor.slice(0, 40))} is not a cursor this server gave: pass a previous page's nextCursor`,
      {
        field: "cursor",
      },
    );
  return Number(cursor);
}

/** Where a client finds the existing ones, by what it looked for. */
const LISTED_BY: Record<string, string> = {
  flow: "GET /api/flows",
  "flow run": "GET /api/flow-runs",
  "task run": "GET /api/flow-runs/{id}/task-runs",
  agent: "GET /api/agents",
  schedule: "GET /api/schedules",
  secret: "GET /api/secrets",
  "API key": "GET /api/api-keys",
};

export const notFound = (what: string, id: string, field = "id"): SluiceError =>
  new SluiceError("NOT_FOUND", `${what} ${JSON.stringify(id)} does not exist: check the ${field}${LISTED_BY[what] ? ` (${LISTED_BY[what]} lists them)` : ""}`, {
    field,
    value: id,
  });
