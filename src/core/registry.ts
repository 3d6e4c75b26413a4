/**
 * One registry of kinds, shared by the environment, storage, executor and agent registries: a kind string
 * → an entry (usually a lazy loader), with one rule for what a kind may be called and one error for a kind
 * that is not there. Each registry keeps its own entry type and its own verbs (create, deserialize, load);
 * this class only keeps the table.
 */
import { SluiceError, showValue, type ErrorCode } from "./errors.js";

/** What a kind string may be: lowercase letters, digits and "-", starting with a letter. */
const KIND_PATTERN = /^[a-z][a-z0-9-]*$/;

/** How a registry names itself in its errors. */
export interface RegistryOptions {
  /** What the kinds are kinds of, as the errors say it: "executor" gives `unknown executor kind "x"`. */
  noun: string;
  /** The function that registers a kind at run time, named in the error of an unknown kind, e.g. "registerExecutorKind". */
  registerWith: string;
  /** The field an unknown kind is reported on. @default noun */
  field?: string;
  /** The error code of an unknown kind. @default "INVALID_OPTION" */
  unknownCode?: ErrorCode;
}

export class Registry<Entry> {
  readonly #entries = new Map<string, Entry>();
  readonly #options: RegistryOptions;

  constructor(options: RegistryOptions, initial: Iterable<readonly [string, Entry]> = []) {
    this.#options = options;
    for (const [kind, entry] of initial) this.register(kind, entry);
  }

  /** Adds (or replaces) `kind`; a kind that is not lowercase letters, digits and "-" is an error naming it. */
  register(kind: string, entry: Entry): void {
    if (typeof kind !== "string" || !KIND_PATTERN.test(kind)) {
      throw new SluiceError(
        "INVALID_OPTION",
        `${this.#options.noun} kind ${showValue(kind)} is not valid; use lowercase letters, digits and - (starting with a letter), e.g. "my-${this.#options.noun}"`,
        { field: "kind", value: kind },
      );
    }
    this.#entries.set(kind, entry);
  }

  /** The registered kinds, in the order they were first registered. */
  kinds(): string[] {
    return [...this.#entries.keys()];
  }

  /** The registered kinds with their entries. */
  entries(): [string, Entry][] {
    return [...this.#entries.entries()];
  }

  /** The entry of `kind`, or undefined. */
  find(kind: string): Entry | undefined {
    return this.#entries.get(kind);
  }

  /** The first kind whose entry satisfies `test`, with its entry. */
  findBy(test: (entry: Entry, kind: string) => boolean): [string, Entry] | undefined {
    for (const [kind, entry] of this.#entries) if (test(entry, kind)) return [kind, entry];
    return undefined;
  }

  /**
   * The entry of `kind`; an unknown kind is an error naming the kind, the known kinds and what to do,
   * reported on `field` (the option or flag the kind came from).
   */
  get(kind: string, field: string = this.#options.field ?? this.#options.noun): Entry {
    const entry = typeof kind === "string" ? this.#entries.get(kind) : undefined;
    if (entry !== undefined) return entry;
    const { noun, registerWith, unknownCode = "INVALID_OPTION" } = this.#options;
    throw new SluiceError(
      unknownCode,
      `unknown ${noun} kind ${showValue(kind)}; known kinds: ${this.kinds().join(", ")}. Use one of them, or register your own with ${registerWith}() before naming it`,
      { field, value: kind, ...(typeof kind === "string" ? { kind } : {}) },
    );
  }
}
