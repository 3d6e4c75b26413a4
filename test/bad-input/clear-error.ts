/**
 * What every case of the bad-input suite asserts: the input is refused with Sluice's own error (a stable
 * code, not a TypeError from deep inside), and its message names the field, shows the value (or, for a
 * secret, hides it) and says what to do.
 */
import assert from "node:assert/strict";
import { SluiceError } from "../../src/core/errors.js";

/** Words of an instruction or of an expectation, or the allowed values: a message with none of them only says "invalid". */
export const SAYS_WHAT_TO_DO =
  /"[^"]+" or "[^"]+"|\b(use|give|pass|set|check|fix|send|write|expected|must|known|one of|allowed|remove|add|choose|start|create|register|list|put|at (least|most)|between|only|instead|try)\b/i;

export interface Expectation {
  /** The error's code. */
  code: string;
  /** Text the message must contain to name the field (a dotted path, an option or flag name). */
  field: string;
  /** Text the message must contain to show the value; omit when the input has no value (a missing field). */
  shows?: string;
  /** A value that must NOT appear in the message (a secret). */
  hides?: string;
}

/** Asserts `message` names the field, shows (or hides) the value and says what to do. */
export function assertClearMessage(message: string, expected: Omit<Expectation, "code">, where: string): void {
  assert.ok(message.includes(expected.field), `${where}: the message names the field ${expected.field}: ${message}`);
  if (expected.shows !== undefined) assert.ok(message.includes(expected.shows), `${where}: the message shows the value ${expected.shows}: ${message}`);
  if (expected.hides !== undefined) assert.ok(!message.includes(expected.hides), `${where}: the message hides the secret value: ${message}`);
  assert.match(message, SAYS_WHAT_TO_DO, `${where}: the message says what to do: ${message}`);
}

/** Runs `act`, which must throw (or reject with) a SluiceError meeting `expected`. */
export async function assertRefused(act: () => unknown, expected: Expectation, where: string): Promise<SluiceError> {
  let thrown: unknown;
  try {
    await act();
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown !== undefined, `${where}: the input was accepted`);
  assert.ok(thrown instanceof SluiceError, `${where}: threw ${(thrown as Error)?.name}: ${(thrown as Error)?.message} instead of a SluiceError`);
  assert.equal(thrown.code, expected.code, `${where}: code (${thrown.message})`);
  assertClearMessage(thrown.message, expected, where);
  return thrown;
}
