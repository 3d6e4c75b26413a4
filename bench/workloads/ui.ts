/**
 * The web UI in headless Chromium (U1, U2), served by the server (in this process, on SQLite) with its API:
 *
 * - U1 time from opening the page of a finished 5,000-task run to its graph being laid out and drawn;
 *   baseline: the run, its flow and its graph read with plain fetch from Node (what any page waits for).
 * - U2 time from opening the runs list to it showing 10,000 runs; baseline: reading those 10,000 runs
 *   with plain fetch.
 * - The API payloads of those two pages (bytes of the /api answers the page read).
 *
 * The 10,000 runs are written straight through the server's database (the API would take minutes on a
 * busy machine); the 5,000-task run through the API, as a runner reports it. dist/ui is built first.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { Page, Response } from "playwright-core";
import { createClient } from "../../src/client/index.js";
import { loadConfig } from "../../src/config/index.js";
import { startServer } from "../../src/server/start.js";
import { buildUi, launchBrowser, newPage } from "../../test/ui/support.js";
import { finishedRun, registerWideFlow } from "../../test/ui/seed.js";
import type { Measurement, Workload } from "../types.js";

const TASKS = 5000;
const RUNS = 10_000;
const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });

/** Bytes of every /api answer the page reads while `action` runs. */
async function apiBytes(page: Page, action: () => Promise<void>): Promise<number> {
  let bytes = 0;
  const pending: Promise<void>[] = [];
  const onResponse = (response: Response) => {
    if (!new URL(response.url()).pathname.startsWith("/api/")) return;
    pending.push(
      response.body().then(
        (b) => void (bytes += b.length),
        () => undefined,
      ),
    );
  };
  page.on("response", onResponse);
  try {
    await action();
    await Promise.all(pending);
  } finally {
    page.off("response", onResponse);
  }
  return bytes;
}

async function uiWorkload(): Promise<Measurement[]> {
  buildUi();
  const home = await mkdtemp(join(tmpdir(), "sluice-bench-ui-"));
  const config = loadConfig({ file: false, env: { SLUICE__HOME: home, SLUICE__LOGGING__LEVEL: "warn" } });
  const server = await startServer({ config, port: 0, logStream: discard, services: false });
  const browser = await launchBrowser();
  try {
    const client = createClient({ url: server.url });
    const flowId = await registerWideFlow(client, "bench-wide", TASKS);
    const runId = await finishedRun(client, flowId, TASKS);
    const flow = await client.getFlow(flowId);
    const now = Date.now();
    for (let i = 0; i < RUNS; i++)
      await server.database.flowRuns.create({ flow, parameters: {}, labels: ["bench-nobody"], scheduledStart: now + 3_600_000, name: `bench-${i}` });

    // U1: the run page until its graph is drawn (the canvas is marked laid out after the first layout).
    const page = await newPage(browser);
    page.setDefaultTimeout(300_000);
    let graphMs = 0;
    const graphBytes = await apiBytes(page, async () => {
      const t0 = performance.now();
      await page.goto(`${server.url}/runs/${runId}`);
      await page.locator('[data-testid="graph"][data-laid-out="true"]').waitFor();
      graphMs = performance.now() - t0;
    });
    const f0 = performance.now();
    await client.getFlowRun(runId);
    await client.getFlow(flowId);
    await (await fetch(`${server.url}/api/flow-runs/${runId}/graph`)).json();
    const graphFetchMs = performance.now() - f0;

    // U2: the runs list until it says 10,000 runs.
    let listMs = 0;
    const listBytes = await apiBytes(page, async () => {
      const t0 = performance.now();
      await page.goto(`${server.url}/runs?flow=bench-wide`);
      await page
        .getByTestId("run-count")
        .filter({ hasText: /^10,00\d runs/ })
        .waitFor();
      listMs = performance.now() - t0;
    });
    const l0 = performance.now();
    let cursor: string | undefined;
    do {
      const pageOfRuns = await client.listFlowRuns({ flowName: "bench-wide", limit: 1000, ...(cursor ? { cursor } : {}) });
      cursor = pageOfRuns.nextCursor;
    } while (cursor);
    const listFetchMs = performance.now() - l0;

    return [
      {
        metric: `U1 run page of a finished ${TASKS.toLocaleString()}-task run: graph shown`,
        unit: "ms",
        value: graphMs,
        baseline: graphFetchMs,
        baselineName: "the run, its flow and its graph read with fetch from Node",
        higherIsBetter: false,
      },
      {
        metric: `U1 API payload of that page`,
        unit: "KB",
        value: graphBytes / 1024,
        baseline: null,
        baselineName: "-",
        higherIsBetter: false,
        notes: "every /api answer the page read until the graph was drawn",
      },
      {
        metric: `U2 runs list: ${RUNS.toLocaleString()} runs shown`,
        unit: "ms",
        value: listMs,
        baseline: listFetchMs,
        baselineName: "the same pages of runs with fetch from Node",
        higherIsBetter: false,
      },
      {
        metric: `U2 API payload of the runs list`,
        unit: "KB",
        value: listBytes / 1024,
        baseline: null,
        baselineName: "-",
        higherIsBetter: false,
        notes: "the list's pages plus the flow and agent names",
      },
    ];
  } finally {
    await browser.close();
    await server.close();
    await rm(home, { recursive: true, force: true });
  }
}

const workloads: Workload[] = [{ id: "U1", title: "Web UI: run graph and runs list in Chromium", needs: ["chromium"], run: uiWorkload }];
export default workloads;
