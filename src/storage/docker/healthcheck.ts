/**
 * The build-time health check of Docker storage: inside the image being built, load every flow named in
 * the manifest (and serialize its environment). A flow that fails prints a marked line carrying the
 * error, and the step exits non-zero, so the build fails with that error.
 */
import { readFile } from "node:fs/promises";
import { loadFlow } from "../../core/load.js";

/** The manifest of a flow image: which flows it holds and where their modules are. */
export interface FlowManifest {
  /** Version of Sluice that built the image. */
  sluiceVersion: string;
  flows: { name: string; module: string }[];
}

/** Prefix of the line that reports a flow that failed to load (followed by JSON). */
export const HEALTHCHECK_FAILURE_MARK = "SLUICE-HEALTHCHECK-FAILED ";

export interface HealthCheckFailure {
  flow: string;
  module: string;
  error: string;
}

/** Loads every flow of the manifest; writes one line per flow; resolves to true when all loaded. */
export async function runHealthCheck(manifestPath: string, write: (line: string) => void): Promise<boolean> {
  const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as FlowManifest;
  let ok = true;
  for (const entry of manifest.flows) {
    try {
      const flow = await loadFlow({ module: entry.module, flowName: entry.name });
      (flow as { environment?: { serialize(): unknown } }).environment?.serialize();
      write(`health check: flow "${entry.name}" loads from ${entry.module}`);
    } catch (error) {
      ok = false;
      const failure: HealthCheckFailure = { flow: entry.name, module: entry.module, error: error instanceof Error ? error.message : String(error) };
      write(`${HEALTHCHECK_FAILURE_MARK}${JSON.stringify(failure)}`);
    }
  }
  return ok;
}

/** The failures reported in a build log. */
export function healthCheckFailures(log: readonly string[]): HealthCheckFailure[] {
  const out: HealthCheckFailure[] = [];
  for (const line of log) {
    const at = line.indexOf(HEALTHCHECK_FAILURE_MARK);
    if (at < 0) continue;
    try {
      out.push(JSON.parse(line.slice(at + HEALTHCHECK_FAILURE_MARK.length)) as HealthCheckFailure);
    } catch {
      // A truncated line: the engine's error still says the step failed.
    }
  }
  return out;
}
