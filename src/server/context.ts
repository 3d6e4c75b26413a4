/** What every route receives: the database and the server's shared helpers. */
import type { SluiceDatabase } from "./database/index.js";
import type { ParameterValidator } from "./domain/parameters.js";
import type { SecretBox } from "./domain/secret-box.js";
import type { RunSignal } from "./services/run-signal.js";

export interface ServerContext {
  db: SluiceDatabase;
  /** Encrypts and decrypts secret values. */
  secretBox: SecretBox;
  /** Validates flow-run parameters against flows' JSON schemas. */
  parameters: ParameterValidator;
  /** Whether API keys are required. */
  auth: boolean;
  /** Wakes waiting claims when a run may have become claimable (on every server of the database). */
  runSignal: RunSignal;
  /** Largest accepted body (bytes). */
  bodyLimit: number;
}
