/**
 * The set-up shared by CLI suites that talk to a server: a `sluice server` process on a free port with its own
 * SLUICE__HOME, one example module registered before the tests, and everything stopped and removed after them.
 * Call it inside a `describe`; the returned object's `url` and `env()` are valid once the `before` hook ran.
 */
import { after, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FlowRun } from "../../src/client/index.js";
import { json, killAll, runSluice, startSluice, type SluiceProcess, type SluiceResult } from "../e2e/support.js";

export interface CliServer {
  /** The server's address (a closed port until `before` ran). */
  readonly url: string;
  /** The variables every `sluice` of the suite runs with, plus `extra`. */
  env(extra?: Record<string, string>): Record<string, string>;
  /** Runs `sluice <args>` against the server and waits for it (90 s at most). */
  sluice(...args: string[]): Promise<SluiceResult>;
  /** `flow-run create <flow> <args> --json`; the new run's id. */
  create(flow: string, ...args: string[]): Promise<string>;
  /** Runs flow run `id` in a process of its own, as an agent would. */
  execute(id: string): Promise<SluiceResult>;
}

/** `prefix` names the temporary home; `module` is the example registered (e.g. "examples/hello.ts"). */
export function cliServer(prefix: string, module: string): CliServer {
  let home = "";
  let url = "http://127.0.0.1:1";
  let server: SluiceProcess | undefined;
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    SLUICE__HOME: home,
    SLUICE__API__URL: url,
    SLUICE__LOGGING__BATCH_INTERVAL_MS: "100",
    ...extra,
  });
  const sluice = (...args: string[]) => runSluice(args, env(), 90_000);

  before(async () => {
    home = await mkdtemp(join(tmpdir(), `sluice-${prefix}-`));
    server = startSluice(["server", "start", "--port", "0"], env(), 170_000);
    url = (await server.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const registered = await sluice("register", module);
    assert.equal(registered.code, 0, registered.stderr);
  });
  after(async () => {
    await server?.stop();
    await killAll();
    await rm(home, { recursive: true, force: true });
  });

  return {
    get url() {
      return url;
    },
    env,
    sluice,
    async create(flow, ...args) {
      const created = await sluice("flow-run", "create", flow, ...args, "--json");
      assert.equal(created.code, 0, created.stderr);
      return json<FlowRun>(created).id;
    },
    execute: (id) => runSluice(["execute", "flow-run"], env({ SLUICE__CONTEXT__FLOW_RUN_ID: id }), 90_000),
  };
}
