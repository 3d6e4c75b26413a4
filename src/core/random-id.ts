/**
 * Random task-run ids, as many as a run has task runs. Each is a version 4 UUID in the form
 * `crypto.randomUUID()` gives, from the same secure random source, but made in one piece: Node's
 * `randomUUID()` returns its text as a chain of joined fragments that V8 keeps as ~14 linked string
 * objects (about 450 bytes), which a run holds for each of its task runs until it ends. This one is a
 * single flat string of 36 characters (about 56 bytes).
 */
import { randomFillSync } from "node:crypto";

/** Random bytes drawn at a time: 16 per id. */
const IDS_PER_DRAW = 256;
const random = Buffer.alloc(16 * IDS_PER_DRAW);
let drawn = IDS_PER_DRAW;
const text = Buffer.alloc(36);
const HEX_DIGITS = Buffer.from("0123456789abcdef", "latin1");

/** A new random UUID (version 4), e.g. "3b241101-e2bb-4255-8caf-4136c566a962". */
export function randomId(): string {
  if (drawn === IDS_PER_DRAW) {
    randomFillSync(random);
    drawn = 0;
  }
  const offset = 16 * drawn++;
  let at = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[at++] = 0x2d; // "-"
    let byte = random[offset + i]!;
    if (i === 6)
      byte = (byte & 0x0f) | 0x40; // version 4
    else if (i === 8) byte = (byte & 0x3f) | 0x80; // the RFC 9562 variant
    text[at++] = HEX_DIGITS[byte >> 4]!;
    text[at++] = HEX_DIGITS[byte & 0x0f]!;
  }
  return text.toString("latin1", 0, 36);
}
