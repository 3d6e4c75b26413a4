/**
 * `sluice flow-run ls --label L --q TEXT`: the runs list's label and text filters, done by the server (the
 * same query the web UI's runs list sends), in a table or with --json; bad values exit 2 naming the flag.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FlowRun } from "../../src/client/index.js";
import { EMPTY_FILTER, serverQuery } from "../../src/ui/api/run-filter.js";
import { json, killAll, runSluice } from "../e2e/support.js";
import { registerSampleFlow, sqliteTarget, startTestServer, type TestServer } from "../server/support.js";

describe("flow-run ls with label and text filters", { timeout: 180_000 }, () => {
  const target = sqliteTarget();
  let server: TestServer;
  /** Run ids by name. */
  const ids = new Map<string, string>();
  const ls = (...args: string[]) => runSluice(["flow-run", "ls", ...args], { SLUICE__HOME: server.home, SLUICE__API__URL: server.server.url }, 90_000);
  const names = (page: { items: FlowRun[] }) => page.items.map((r) => r.name);

  before(async () => {
    server = await startTestServer(target);
    const { flowId } = await registerSampleFlow(server.client, "ls-filters");
    // Due tomorrow and no agent: they stay Scheduled. Created oldest first; the list is newest first.
    const later = new Date(Date.now() + 86_400_000).toISOString();
    const runs: [string, string[]][] = [
      ["Nightly-EU", ["prod", "eu"]],
      ["nightly-us", ["prod", "us"]],
      ["adhoc-eu", ["prod", "eu"]],
      ["nightly-dev", ["dev", "eu"]],
      // Newer runs with both labels and without the text: a filter applied after reading the newest
      // runs would find nothing among them.
      ...[1, 2, 3, 4].map((n): [string, string[]] => [`filler-${n}`, ["prod", "eu"]]),
    ];
    for (const [name, labels] of runs) {
      const run = await server.client.createFlowRun({ flowId, name, labels, parameters: { count: 1 }, scheduledStart: later });
      ids.set(name, run.id);
    }
  });
  after(async () => {
    await killAll();
    await server?.close();
    await target.cleanup();
  });

  it("--label (every one, repeatable or comma-separated) and --q (name part, any case) are applied by the server", async () => {
    const both = await ls("--label", "prod", "--label", "eu", "--q", "NIGHTLY", "--json");
    assert.equal(both.code, 0, both.stderr);
    assert.deepEqual(names(json(both)), ["Nightly-EU"]);

    // --limit counts matching runs: the one match is older than the four newest runs of the labels.
    const limited = await ls("--label", "prod,eu", "--q", "nightly", "--limit", "1", "--json");
    assert.equal(limited.code, 0, limited.stderr);
    assert.deepEqual(names(json(limited)), ["Nightly-EU"]);

    const labelOnly = await ls("--label", "eu", "--json");
    assert.deepEqual(names(json(labelOnly)), ["filler-4", "filler-3", "filler-2", "filler-1", "nightly-dev", "adhoc-eu", "Nightly-EU"]);
    const textOnly = await ls("--q", "nightly", "--json");
    assert.deepEqual(names(json(textOnly)), ["nightly-dev", "nightly-us", "Nightly-EU"]);
  });

  it("--q also finds a run by the start of its id", async () => {
    const id = ids.get("adhoc-eu")!;
    const found = await ls("--q", id.slice(0, 8), "--json");
    assert.equal(found.code, 0, found.stderr);
    assert.deepEqual(
      json<{ items: FlowRun[] }>(found).items.map((r) => r.id),
      [id],
    );
  });

  it("answers what the web UI's runs list shows for the same filter", async () => {
    const query = serverQuery({ ...EMPTY_FILTER, label: "prod, eu", q: "eu" });
    const ui = await server.client.listFlowRuns(query);
    const cli = await ls("--label", "prod,eu", "--q", "eu", "--json");
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(
      json<{ items: FlowRun[] }>(cli).items.map((r) => r.id),
      ui.items.map((r) => r.id),
    );
    assert.deepEqual(names(ui), ["adhoc-eu", "Nightly-EU"]);
  });

  it("prints the matching runs as a table, and says so when none match", async () => {
    const table = await ls("--label", "us");
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split("\n");
    assert.match(lines[0]!, /^ID +FLOW +VERSION +STATE +DUE +LABELS +MESSAGE/);
    assert.equal(lines.length, 2, table.stdout);
    assert.match(lines[1]!, new RegExp(`^${ids.get("nightly-us")!} +ls-filters +v1 +Scheduled .* prod,us`));
    const none = await ls("--label", "prod", "--q", "no-such-run");
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, "no flow runs\n");
  });

  it("an empty label or blank text exits 2 naming the flag", async () => {
    for (const [args, flag] of [
      [["--label", ""], /--label "" holds an empty label/],
      [["--label", "prod,,eu"], /--label "prod,,eu" holds an empty label/],
      [["--q", "   "], /--q " {3}" must hold 1 to 200 characters/],
      [["--q", "x".repeat(201)], /--q "x+… must hold 1 to 200 characters/],
    ] as const) {
      const result = await ls(...args);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, flag);
    }
  });
});
