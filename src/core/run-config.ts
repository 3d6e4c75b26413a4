/**
 * The configuration type as the core contracts see it. Core imports nothing of Sluice outside src/core, so
 * it cannot name the configuration's type; the configuration module adds it here by declaration merging
 * (`declare module` in src/config/schema.ts), and wherever both are compiled together `RunConfig` is the
 * full, validated configuration. Without that module it is an opaque read-only record.
 */

/** Filled in by the configuration module: `{ config: SluiceConfig }`. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface to be merged into, empty on purpose
export interface RunConfigTypes {}

/** The validated configuration a launched run inherits. */
export type RunConfig = RunConfigTypes extends { config: infer C } ? C : Readonly<Record<string, unknown>>;
