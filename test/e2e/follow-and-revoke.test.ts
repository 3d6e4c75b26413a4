/**
 * End to end with the real binary against a server started with auth on:
 * - `sluice flow-run logs <id> --follow` prints a running run's lines as they are written and exits 0 by
 *   itself once the run is finished;
 * - `sluice auth revoke <id>`: a key that worked is refused (401) right after, by the API and the CLI.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SluiceApiError, createClient, type FlowRun } from "../../src/client/index.js";
import { waitForRun } from "../agents/support.js";
import { json, killAll, runSluice, startSluice, type SluiceProcess, type SluiceResult } from "./support.js";

const FLOWS = fileURLToPath(new URL("./fixtures/follow-flows.ts", import.meta.url));
/**
 * How long the task waits between its two lines: well beyond one poll of --follow (1 s) plus a log batch,
 * so that on a loaded machine the first line still arrives while the run is running.
 */
const GAP_MS = 8000;

/** `proc.done`, or a failure after `ms` (the process is killed then). */
async function within(proc: SluiceProcess, ms: number): Promise<SluiceResult> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      proc.child.kill("SIGKILL");
      reject(new Error(`still running after ${ms} ms\nstdout:\n${proc.stdout}\nstderr:\n${proc.stderr.slice(-3000)}`));
    }, ms);
  });
  try {
    return await Promise.race([proc.done, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe("follow and revoke against a server with auth on", { timeout: 240_000 }, () => {
  let home: string;
  let url = "http://127.0.0.1:1";
  let server: SluiceProcess | undefined;
  let agent: SluiceProcess | undefined;
  let adminKey = "";
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    SLUICE__HOME: home,
    SLUICE__API__URL: url,
    SLUICE__SERVER__AUTH: "true",
    SLUICE__LOGGING__BATCH_INTERVAL_MS: "100",
    SLUICE__AGENT__MIN_POLL_INTERVAL_MS: "50",
    SLUICE__AGENT__MAX_POLL_INTERVAL_MS: "300",
    ...(adminKey ? { SLUICE__API__KEY: adminKey } : {}),
    ...extra,
  });

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "sluice-e2e-follow-"));
    server = startSluice(["server", "start", "--port", "0"], env(), 230_000);
    url = (await server.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+) \(database sqlite:.*, auth on\)/, 30_000))[1]!;
    const created = await runSluice(["auth", "create-key", "--name", "admin", "--json"], env(), 30_000);
    assert.equal(created.code, 0, created.stderr);
    adminKey = json<{ key: string }>(created).key;
  });
  after(async () => {
    await agent?.stop();
    await server?.stop();
    await killAll();
    await rm(home, { recursive: true, force: true });
  });

  it("logs --follow prints the lines while the run runs and exits 0 by itself when it finishes", async () => {
    const registered = await runSluice(["register", FLOWS, "--label", "follow-e2e"], env(), 30_000);
    assert.equal(registered.code, 0, registered.stderr);
    agent = startSluice(["agent", "start", "local", "--name", "e2e-follow", "--label", "follow-e2e"], env(), 230_000);
    await agent.waitFor(/Agent e2e-follow \(local, labels: follow-e2e\) polls/, 30_000);

    const createdRun = await runSluice(["flow-run", "create", "e2e-follow", "--param", `ms=${GAP_MS}`, "--json"], env(), 30_000);
    assert.equal(createdRun.code, 0, createdRun.stderr);
    const id = json<FlowRun>(createdRun).id;
    const follow = startSluice(["flow-run", "logs", id, "--follow"], env(), 60_000);

    await follow.waitFor(/INFO +\[two-lines\] the first line/, 40_000);
    const firstSeenAt = Date.now();
    const result = await within(follow, 40_000);
    const exitedAt = Date.now();
    assert.equal(result.code, 0, result.stderr.slice(-3000));

    const client = createClient({ url, apiKey: adminKey });
    const run = await waitForRun(client, id, undefined, 5_000);
    assert.equal(run.state.name, "Success", run.state.message);
    const endedAt = Date.parse(run.endedAt!);
    assert.ok(firstSeenAt < endedAt, `the first line was printed ${firstSeenAt - endedAt} ms after the run ended: not streamed`);
    assert.ok(exitedAt >= endedAt, "--follow exited before the run was finished");
    assert.ok(exitedAt - endedAt < 10_000, `--follow kept running ${exitedAt - endedAt} ms after the run finished`);

    const first = result.stdout.search(/\[two-lines\] the first line$/m);
    const second = result.stdout.search(/\[two-lines\] the second line$/m);
    assert.ok(first >= 0 && second > first, `both lines, in order:\n${result.stdout}`);
    // Nothing lost or doubled: what --follow printed is what the run's whole log holds.
    const all = await runSluice(["flow-run", "logs", id], env(), 30_000);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(result.stdout, all.stdout);
  });

  it("auth revoke: a key that worked is refused with 401 at once, by the API and by the CLI", async () => {
    const created = await runSluice(["auth", "create-key", "--name", "doomed", "--json"], env(), 30_000);
    assert.equal(created.code, 0, created.stderr);
    const doomed = json<{ id: string; key: string; via: string }>(created);
    assert.equal(doomed.via, "api");
    const asDoomed = env({ SLUICE__API__KEY: doomed.key });
    const headers = { authorization: `Bearer ${doomed.key}` };

    // It works: through the API (which also caches it as verified) and through the CLI.
    assert.equal((await fetch(`${url}/api/flow-runs`, { headers })).status, 200);
    const working = await runSluice(["flow-run", "ls", "--json"], asDoomed, 30_000);
    assert.equal(working.code, 0, working.stderr);
    assert.ok(Array.isArray(json<{ items: unknown[] }>(working).items));

    const revoked = await runSluice(["auth", "revoke", doomed.id, "--json"], env(), 30_000);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.deepEqual(json(revoked), { id: doomed.id, revoked: true });

    const refused = await fetch(`${url}/api/flow-runs`, { headers });
    assert.equal(refused.status, 401);
    assert.deepEqual(((await refused.json()) as { error: { code: string } }).error.code, "UNAUTHORIZED");
    await assert.rejects(
      createClient({ url, apiKey: doomed.key }).listFlowRuns(),
      (e: unknown) => e instanceof SluiceApiError && e.status === 401 && /unknown or revoked/.test(e.message),
    );
    const denied = await runSluice(["flow-run", "ls"], asDoomed, 30_000);
    assert.equal(denied.code, 1, denied.stdout);
    assert.match(denied.stderr, /error: .*unknown or revoked/);

    // The admin key is untouched, and the list shows the revocation.
    const listed = await runSluice(["auth", "ls", "--json"], env(), 30_000);
    assert.equal(listed.code, 0, listed.stderr);
    const keys = json<{ items: { id: string; name: string; revokedAt: string | null }[] }>(listed).items;
    assert.deepEqual(keys.map((k) => [k.name, k.revokedAt !== null]).sort(), [
      ["admin", false],
      ["doomed", true],
    ]);
  });
});
