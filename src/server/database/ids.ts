/**
 * Time-ordered ids for rows written in bulk (UUID version 7 layout: 48 bits of Unix time in ms, then
 * random bits). Rows created together get neighbouring ids, so the indexes that hold them (the id's own,
 * and the state history's by task run) are written in a few adjacent pages instead of one random page
 * per row: a batch's cost stays flat as the tables grow. The random part keeps ids unguessable and
 * unique across servers.
 */
import { randomFillSync } from "node:crypto";

const POOL_IDS = 256;
const pool = Buffer.alloc(10 * POOL_IDS);
let next = POOL_IDS;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** A new UUID version 7 string, e.g. "0193a6c2-5e1f-7c3d-9a4b-1f2e3d4c5b6a". */
export function timeOrderedId(now: number = Date.now()): string {
  if (next === POOL_IDS) {
    randomFillSync(pool);
    next = 0;
  }
  const r = next++ * 10;
  const time = now.toString(16).padStart(12, "0").slice(-12);
  const rand = (i: number): string => HEX[pool[r + i]!]!;
  return (
    `${time.slice(0, 8)}-${time.slice(8)}-7${rand(0).slice(1)}${rand(1)}-` +
    `${HEX[(pool[r + 2]! & 0x3f) | 0x80]}${rand(3)}-${rand(4)}${rand(5)}${rand(6)}${rand(7)}${rand(8)}${rand(9)}`
  );
}
