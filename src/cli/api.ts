/**
 * What the server-side commands share: the API client built from the configuration (SLUICE__API__URL and
 * SLUICE__API__KEY, or the config file), few retries so a command fails fast when the server is down,
 * and small output helpers.
 */
import { createClient, type SluiceClient } from "../client/index.js";
import { loadConfig, type SluiceConfig } from "../config/index.js";

export { allTaskRuns } from "../reporting/flow-run-entry.js";

/** The client of the configured server. */
export function apiClient(config: SluiceConfig): SluiceClient {
  return createClient({ url: config.api.url, apiKey: config.api.key, retry: { attempts: 3, baseDelayMs: 200, maxDelayMs: 1000 } });
}

/** Loads the configuration (with `overrides` in the schema's shape) and builds the client. */
export function connect(overrides?: Record<string, unknown>): { config: SluiceConfig; client: SluiceClient } {
  const config = loadConfig(overrides ? { overrides } : {});
  return { config, client: apiClient(config) };
}

/** Collects a repeatable option's values. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Lines of a table: a header, then rows, columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Writes lines to stdout. */
export function printLines(lines: readonly string[]): void {
  if (lines.length > 0) process.stdout.write(`${lines.join("\n")}\n`);
}

/** A date for humans: "2026-11-22 10:15:30" (UTC), or "-". */
export const when = (iso: string | null | undefined): string => (iso ? iso.replace("T", " ").replace(/\.\d+Z$|Z$/, "") : "-");

