/** What every route receives: the database and the server's shared helpers. */
import type { SluiceDatabase } from "./database/index.js";
import type { ParameterValidator } from "./domain/parameters.js";
import type { SecretBox } from "./domain/secret-box.js";

export interface ServerContext {
  db: SluiceDatabase;
  /** Encrypts and decrypts secret values. */
  secretBox: SecretBox;
  /** Validates flow-run parameters against flows' JSON schemas. */
  parameters: ParameterValidator;
  /** Whether API keys are required. */
  auth: boolean;
  /** Largest accepted body (bytes). */
  bodyLimit: number;
}
