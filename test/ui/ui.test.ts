/**
 * The web UI in headless Chromium against the real server and a local agent: a run created from the
 * generated form goes to Success while its page shows the tasks turning green; a failing run shows its
 * error, stack and logs; a validation error appears next to its field; cancel works from the page;
 * filters survive a reload; with auth on, nothing is reachable before a valid key is given. Each page is
 * saved to docs/screenshots/.
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { serviceSuite } from "../support/services.js";
import { waitForRun } from "../agents/support.js";
import { killAll } from "../e2e/support.js";
import { buildUi, launchBrowser, newPage, screenshot, startStack, type Stack } from "./support.js";

const T = { timeout: 120_000 };

/** The attribute `name` of every element matching `selector`. */
const attributes = async (page: Page, selector: string, name: string): Promise<(string | null)[]> =>
  Promise.all((await page.locator(selector).all()).map((l) => l.getAttribute(name)));

await serviceSuite(["chromium"], "web UI", () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;

  before(
    async () => {
      buildUi();
      [stack, browser] = await Promise.all([startStack({ name: "main", agent: true }), launchBrowser()]);
      page = await newPage(browser);
      page.setDefaultTimeout(30_000);
    },
    { timeout: 240_000 },
  );
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await killAll();
  });

  it("creates a run from the generated form; the run page shows its tasks turning green without a reload", T, async () => {
    await page.goto(`${stack.url}/flows/ui-pipeline`);
    await page.getByLabel("rows").fill("4");
    await page.getByLabel("stepMs").fill("700");
    await page.getByLabel("mode").selectOption({ label: "thorough" });
    await page.getByLabel("table").fill("daily_totals");
    await page.getByRole("button", { name: "Add tags item" }).click();
    await page.locator("#param-tags-0").fill("nightly");
    await screenshot(page, "flow-run-form");
    const requests: string[] = [];
    page.on("request", (r) => requests.push(new URL(r.url()).pathname));
    await page.getByRole("button", { name: "Create run" }).click();
    await page.waitForURL(/\/runs\/[^/?]+/);
    const runId = new URL(page.url()).pathname.split("/").pop() ?? "";
    await page.evaluate("window.noReload = true");

    // The parameters reached the server as typed in the form.
    const created = await stack.client.getFlowRun(runId);
    assert.deepEqual(created.parameters, { rows: 4, stepMs: 700, mode: "thorough", target: { table: "daily_totals", replace: false }, tags: ["nightly"] });

    // While the run is active the page shows some tasks green and others not yet.
    const summary = page.getByTestId("graph-summary");
    await page.waitForFunction(
      `(() => { const ok = Number(document.querySelector('[data-testid="graph-summary"] [data-count-state="Success"]')?.textContent?.split(" ")[0] ?? 0); return ok >= 1 && ok < 6; })()`,
      undefined,
      { timeout: 60_000 },
    );
    await page.getByTestId("graph").and(page.locator('[data-laid-out="true"]')).waitFor();
    await screenshot(page, "run-graph-running");
    // Then all six task runs (extract, four transform children, load) are green and the run is Success.
    await summary.locator('[data-count-state="Success"]', { hasText: /^6 Success$/ }).waitFor({ timeout: 60_000 });
    await page.locator(".run-header .badge[data-state='Success']").waitFor();
    assert.equal((await stack.client.getFlowRun(runId)).state.name, "Success");
    assert.equal(await page.evaluate("window.noReload"), true, "the page was not reloaded");
    // Live through the run's event stream, not by polling its task runs.
    assert.ok(requests.includes(`/api/flow-runs/${runId}/events`), "the page opened the run's event stream");
    assert.ok(requests.filter((p) => p === `/api/flow-runs/${runId}/task-runs`).length <= 2, `task runs read at most twice: ${requests.join(" ")}`);
    await screenshot(page, "run-graph");

    // Timeline: one row per task run, the retried child marked.
    await page.getByRole("tab", { name: "Timeline" }).click();
    await page.getByTestId("timeline").waitFor();
    assert.ok((await page.locator(".trow").count()) >= 6);
    assert.ok((await page.locator(".tattempts").count()) >= 1, "the retried task run shows its attempts");
    // Its attempts are separate bars, with the wait for the retry before the second.
    const retried = page.locator(".trow", { has: page.locator(".tattempts") }).first();
    await retried.locator(".tbar.run[data-attempt='2']").waitFor();
    assert.equal(await retried.locator(".tbar.run[data-attempt='1']").count(), 1);
    assert.equal(await retried.locator(".tbar.wait[data-attempt='2']").count(), 1, "the wait for the retry is drawn");
    await screenshot(page, "run-timeline");

    // Logs: every line, the search done across all of them, a task selected filters to its lines.
    await page.getByRole("tab", { name: "Logs" }).click();
    await page.locator(".log-line", { hasText: "loading 4 values" }).waitFor();
    await page.getByLabel("Search logs").fill("row 3");
    await page.getByLabel("Search logs").press("Enter");
    await page.locator(".log-line", { hasText: "transforming row 3" }).waitFor();
    // That line is shown before the search too: wait for the others to go (bounded), then count.
    await page.waitForFunction(`document.querySelectorAll(".log-line").length === 1`, undefined, { timeout: 15_000 }).catch(() => undefined);
    assert.equal(await page.locator(".log-line").count(), 1);
    await page.getByLabel("Search logs").fill("");
    await page.locator(".log-line", { hasText: "extracting 4 rows" }).waitFor();
    await screenshot(page, "run-logs");

    // Edit & run: the form starts from this run's parameters once the run is read.
    await page.getByRole("link", { name: "Edit & run…" }).click();
    await page.waitForURL(new RegExp(`/flows/ui-pipeline\\?.*from=${runId}`));
    await page.locator(".run-form h3", { hasText: "from run" }).waitFor();
    assert.equal(await page.getByLabel("rows").inputValue(), "4");
    assert.equal(await page.getByLabel("table").inputValue(), "daily_totals");
    assert.equal(await page.locator("#param-tags-0").inputValue(), "nightly");
  });

  it("shows a failed run's error with its stack, its ERROR lines and its logs", T, async () => {
    const run = await stack.client.createFlowRun({ flowName: "ui-failing", labels: ["ui"] });
    await waitForRun(stack.client, run.id, undefined, 60_000);
    await page.goto(`${stack.url}/runs/${run.id}`);
    const failure = page.getByTestId("failure");
    await failure.getByText("parse failed: input.csv ends in the middle of a row").first().waitFor();
    assert.match(await failure.locator(".failed-task pre.stack").first().innerText(), /\n\s+at /, "the stack is shown");
    await failure.locator(".error-logs", { hasText: "cannot parse input.csv" }).waitFor();
    await screenshot(page, "run-failed");
    await page.getByRole("tab", { name: "Logs" }).click();
    await page.locator(".log-line", { hasText: "checking the input file" }).waitFor();
    await page.getByLabel("Minimum level").selectOption("error");
    await page.locator(".log-line", { hasText: "checking the input file" }).waitFor({ state: "detached" });
    assert.deepEqual(await attributes(page, ".log-scroll .log-line", "data-level"), ["error"]);
  });

  it("shows the server's validation error next to its field", T, async () => {
    await page.goto(`${stack.url}/flows/ui-pipeline`);
    await page.getByLabel("rows").fill("0");
    await page.getByLabel("stepMs").fill("20000");
    await page.getByRole("button", { name: "Create run" }).click();
    const rowsError = page.locator('.field[data-path="rows"] .field-error');
    await rowsError.waitFor();
    assert.match(await rowsError.innerText(), /parameters\.rows.*>= 1/);
    assert.match(await page.locator('.field[data-path="stepMs"] .field-error').innerText(), /parameters\.stepMs.*<= 10000/);
    assert.match(page.url(), /\/flows\/ui-pipeline/, "no run was created");
    await screenshot(page, "flow-form-errors");
  });

  it("cancels a running run from its page", T, async () => {
    const run = await stack.client.createFlowRun({ flowName: "ui-slow", labels: ["ui"], name: "to-cancel" });
    await page.goto(`${stack.url}/runs/${run.id}`);
    await page.locator(".run-header .badge[data-state='Running']").waitFor({ timeout: 60_000 });
    await page.getByRole("button", { name: "Cancel", exact: true }).click();
    await page.locator(".run-header .badge[data-state='Cancelled']").waitFor({ timeout: 60_000 });
    assert.equal((await stack.client.getFlowRun(run.id)).state.name, "Cancelled");
  });

  it("keeps the runs filter in the URL across a reload", T, async () => {
    // A few runs no agent takes (their label is nobody's), due later: they stay Scheduled.
    const pipeline = (await stack.client.listFlows({ name: "ui-pipeline" })).items[0];
    assert.ok(pipeline);
    const later = new Date(Date.now() + 24 * 3_600_000).toISOString();
    for (let day = 1; day <= 6; day++)
      await stack.client.createFlowRun({
        flowId: pipeline.id,
        name: `backfill-2026-11-0${day}`,
        labels: ["backfill"],
        parameters: { rows: day },
        scheduledStart: new Date(Date.now() + day * 3_600_000).toISOString(),
      });
    await page.goto(`${stack.url}/runs`);
    await page.locator(".trow-table[data-run-id]").first().waitFor();
    await screenshot(page, "runs");
    await page.getByRole("group", { name: "State filter" }).getByRole("button", { name: "Failed", exact: true }).click();
    await page.getByLabel("Flow").selectOption("ui-failing");
    await page.waitForURL(/state=Failed/);
    assert.match(page.url(), /flow=ui-failing/);
    await page.reload();
    await page.locator(".trow-table[data-run-id]").first().waitFor();
    const states = await attributes(page, ".trow-table[data-run-id]", "data-state");
    assert.ok(states.length >= 1 && states.every((s) => s === "Failed"), `only Failed runs: ${states.join(",")}`);
    assert.equal(await page.getByLabel("Flow").inputValue(), "ui-failing");
    assert.equal(
      await page.getByRole("group", { name: "State filter" }).getByRole("button", { name: "Failed", exact: true }).getAttribute("aria-pressed"),
      "true",
    );

    // By label and text: the server filters (the page asks with them), and the view survives a reload.
    await page.getByRole("button", { name: "Clear filters" }).click();
    await page.waitForURL((url) => url.search === "");
    const listQueries: URLSearchParams[] = [];
    page.on("request", (r) => {
      const url = new URL(r.url());
      if (url.pathname === "/api/flow-runs") listQueries.push(url.searchParams);
    });
    await page.getByLabel("Label").fill("backfill");
    await page.getByLabel("Label").press("Enter");
    await page.getByLabel("Search runs").fill("11-03");
    await page.getByLabel("Search runs").press("Enter");
    await page.waitForURL(/label=backfill/);
    assert.match(page.url(), /q=11-03/);
    const named = async () => Promise.all((await page.locator(".trow-table[data-run-id] a").all()).map((l) => l.innerText()));
    await page.waitForFunction(`document.querySelectorAll(".trow-table[data-run-id]").length === 1`);
    assert.deepEqual(await named(), ["backfill-2026-11-03"]);
    assert.ok(
      listQueries.some((q) => q.get("label") === "backfill" && q.get("q") === "11-03" && q.get("updatedAfter") === null),
      "the list was read with the filter",
    );
    await page.reload();
    await page.locator(".trow-table[data-run-id]").first().waitFor();
    assert.deepEqual(await named(), ["backfill-2026-11-03"]);
    assert.equal(await page.getByLabel("Label").inputValue(), "backfill");
    assert.equal(await page.getByLabel("Search runs").inputValue(), "11-03");

    // Live updates respect the filter: a new run that matches appears, one without the label does not.
    await stack.client.createFlowRun({ flowId: pipeline.id, name: "adhoc-2026-11-03", labels: ["adhoc"], parameters: { rows: 1 }, scheduledStart: later });
    await stack.client.createFlowRun({
      flowId: pipeline.id,
      name: "backfill-2026-11-03-again",
      labels: ["backfill"],
      parameters: { rows: 1 },
      scheduledStart: later,
    });
    await page.locator(".trow-table[data-run-id] a", { hasText: "backfill-2026-11-03-again" }).waitFor();
    assert.deepEqual(await named(), ["backfill-2026-11-03-again", "backfill-2026-11-03"]);
    await screenshot(page, "runs-filtered");

    // Bulk cancel of the filtered runs; the list shows their new state without a reload.
    await page.getByLabel("Select all").check();
    await page.getByRole("button", { name: "Cancel selected (2)" }).click();
    await page.waitForFunction(`[...document.querySelectorAll(".trow-table[data-run-id]")].map((r) => r.dataset.state).join() === "Cancelled,Cancelled"`);
    const cancelled = await stack.client.listFlowRuns({ label: ["backfill"], q: "11-03" });
    assert.deepEqual(
      cancelled.items.map((r) => r.state.name),
      ["Cancelled", "Cancelled"],
    );
  });

  it("shows flows, agents and schedules", T, async () => {
    const flows = await stack.client.listFlows({ name: "ui-pipeline" });
    const flow = flows.items[0];
    assert.ok(flow);
    const anchor = new Date(Date.now() + 600_000).toISOString();
    const hourly = await stack.client.createSchedule({ flowId: flow.id, name: "hourly-refresh", intervalMs: 3_600_000, anchor, labels: ["ui"] });
    await stack.client.createSchedule({ flowId: flow.id, name: "nightly", cron: "0 2 * * *", labels: ["ui"], active: false });
    await page.goto(`${stack.url}/flows`);
    await page.locator("tr[data-flow='ui-pipeline']").waitFor();
    await screenshot(page, "flows");
    await page.goto(`${stack.url}/agents`);
    await page.locator("tr[data-agent='ui-main-agent']").waitFor();
    await screenshot(page, "agents");
    await page.goto(`${stack.url}/schedules`);
    const row = page.locator(`tr[data-schedule='${hourly.id}']`);
    await row.locator(".slots a").first().waitFor({ timeout: 30_000 });
    await screenshot(page, "schedules");
    await row.getByRole("button", { name: "Pause" }).click();
    await row.getByRole("button", { name: "Resume" }).waitFor();
    assert.equal((await stack.client.getSchedule(hourly.id)).active, false);
    const dark = await newPage(browser, "dark");
    await dark.goto(`${stack.url}/runs`);
    await dark.locator(".trow-table[data-run-id]").first().waitFor();
    assert.equal(await dark.evaluate("getComputedStyle(document.body).backgroundColor"), "rgb(11, 17, 32)");
    await screenshot(dark, "runs-dark");
    await dark.context().close();
  });
});

await serviceSuite(["chromium"], "web UI with API keys", () => {
  let stack: Stack;
  let browser: Browser;

  before(
    async () => {
      buildUi();
      [stack, browser] = await Promise.all([startStack({ name: "auth", auth: true }), launchBrowser()]);
    },
    { timeout: 240_000 },
  );
  after(async () => {
    await browser?.close();
    await stack?.stop();
    await killAll();
  });

  it("asks for a key and shows nothing else until a valid one is given", T, async () => {
    const page = await newPage(browser);
    const apiCalls: string[] = [];
    page.on("response", (r) => {
      if (new URL(r.url()).pathname.startsWith("/api/")) apiCalls.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    await page.goto(`${stack.url}/runs`);
    await page.getByTestId("key-prompt").waitFor({ timeout: 60_000 });
    assert.equal(await page.locator("nav").count(), 0, "no navigation before a key");
    assert.equal(await page.locator(".runs-page").count(), 0);
    await screenshot(page, "key-prompt");
    await page.getByLabel("API key").fill("sk-not-a-real-key");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.getByText("This key is unknown or revoked.").waitFor();
    assert.equal(await page.locator("nav").count(), 0);
    assert.ok(
      apiCalls.every((c) => c.startsWith("401")),
      `only refused API calls so far: ${apiCalls.join(", ")}`,
    );
    await page.getByLabel("API key").fill(stack.env.SLUICE__API__KEY ?? "");
    await page.getByRole("button", { name: "Continue" }).click();
    await page.locator(".runs-page").waitFor();
    await page.locator("nav").waitFor();
    // The key is kept for the tab: a reload goes straight to the page.
    await page.reload();
    await page.locator(".runs-page").waitFor();
    assert.equal(await page.getByTestId("key-prompt").count(), 0);
    await page.context().close();
  });
});
