/**
 * Helpers of the agent tests: a config pointing at a test server with short intervals, the fixture flows
 * registered with LocalStorage, and bounded waits on the server's view of a run.
 */
import { fileURLToPath } from "node:url";
import { loadConfig, type SluiceConfig } from "../../src/config/index.js";
import type { FlowRun, SluiceClient } from "../../src/client/index.js";
import type { AnyFlow } from "../../src/core/flow.js";
import { loadFlows } from "../../src/core/load.js";
import { isFinished, type StateName } from "../../src/core/states.js";
import { LocalStorage } from "../../src/storage/local/index.js";
import { registrationOf } from "../../src/cli/commands/register.js";

export const FIXTURES = fileURLToPath(new URL("./fixtures/flows.ts", import.meta.url));

/** A configuration for agents and runs against `url`, with fast pacing (env values win). */
export function testConfig(url: string, home: string, env: Record<string, string> = {}): SluiceConfig {
  return loadConfig({
    file: false,
    env: {
      SLUICE__HOME: home,
      SLUICE__API__URL: url,
      SLUICE__AGENT__MIN_POLL_INTERVAL_MS: "20",
      SLUICE__AGENT__MAX_POLL_INTERVAL_MS: "200",
      SLUICE__REPORTER__HEARTBEAT_INTERVAL_MS: "500",
      SLUICE__REPORTER__CANCEL_CHECK_INTERVAL_MS: "200",
      SLUICE__REPORTER__FLUSH_TIMEOUT_MS: "20000",
      SLUICE__LOGGING__BATCH_INTERVAL_MS: "50",
      SLUICE__LOGGING__LEVEL: "warn",
      ...env,
    },
  });
}

/** The variables a spawned `sluice` needs to share this process's source tree (no dist/). */
export const SOURCE_ENV = { SLUICE_DEV: "1" } as const;

let fixtures: Promise<AnyFlow[]> | undefined;
export const fixtureFlows = (): Promise<AnyFlow[]> => (fixtures ??= loadFlows(FIXTURES));

/** Registers the fixture flow `name` (LocalStorage, so a local agent on this machine can load it); answers its id. */
export async function registerFixture(client: SluiceClient, name: string, labels: string[] = []): Promise<string> {
  const flow = (await fixtureFlows()).find((f) => f.name === name);
  if (!flow) throw new Error(`no fixture flow ${name}`);
  const storage = new LocalStorage();
  storage.addFlow(flow);
  return (await client.registerFlow(registrationOf(flow, storage, labels))).flowId;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 50 ms until it returns a value other than undefined; fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await sleep(50);
  }
}

/** Waits until the run is finished (or in one of `states`) and answers it. */
export function waitForRun(client: SluiceClient, id: string, states?: readonly StateName[], timeoutMs = 30_000): Promise<FlowRun> {
  return waitFor(
    `flow run ${id} to be ${states?.join("/") ?? "finished"}`,
    async () => {
      const run = await client.getFlowRun(id);
      return (states ? states.includes(run.state.name) : isFinished(run.state.name)) ? run : undefined;
    },
    timeoutMs,
  );
}
