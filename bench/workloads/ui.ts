/**
 * The web UI in headless Chromium (U1, U2), served by the server (in this process, on SQLite) with its API:
 *
 * - U1 time from opening the page of a finished 5,000-task run to its graph being laid out and drawn;
 *   baseline: the run, its flow and its graph read with plain fetch from Node (what any page waits for).
 * - U2 time from opening the runs list to it showing 10,000 runs; baseline: reading those 10,000 runs
 *   with plain fetch.
 * - The API payloads of those two pages (bytes of the /api answers the page read). The list's figure is
 *   its own pages; what its live refresh read meanwhile is in the notes, as it depends on how fast the
 *   runs were seeded (the refresh re-reads the runs changed in the seconds before the newest change).
 *
 * Each figure is the median of ROUNDS rounds after one warm-up round; in each round the page (in a fresh
 * browser context: nothing cached) and then its baseline are measured, so both see the same load at
 * nearly the same moment. The ratio printed is median over median; the notes give the rounds' spread
 * and the median of the rounds' own ratios (each page against the baseline read right after it, which
 * cancels the load drifting between rounds). On a loaded machine the baseline, a few hundred
 * milliseconds of server work, swings more than the page does; taking the fastest of several baseline
 * reads made the ratio swing more, not less (a quiet moment helps the short read more than the page).
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
/** Measured rounds, after one warm-up round. */
const ROUNDS = 7;
const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });

/** Bytes of the /api answers the page reads while `action` runs: those `counted` keeps, and the rest. */
async function apiBytes(page: Page, action: () => Promise<void>, counted: (url: URL) => boolean = () => true): Promise<{ bytes: number; other: number }> {
  const total = { bytes: 0, other: 0 };
  const pending: Promise<void>[] = [];
  const onResponse = (response: Response) => {
    const url = new URL(response.url());
    if (!url.pathname.startsWith("/api/")) return;
    const key = counted(url) ? "bytes" : "other";
    pending.push(
      response.body().then(
        (b) => void (total[key] += b.length),
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
  return total;
}

/** Milliseconds `action` took. */
async function timed(action: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await action();
  return performance.now() - t0;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** One round's figures of a page and its baseline. */
interface Round {
  pageMs: number;
  baselineMs: number;
  bytes: number;
  otherBytes: number;
}

/** How the rounds spread: the range of the page's and the baseline's times, and of the per-round ratios with their median. */
function spread(rounds: readonly Round[]): string {
  const ratios = rounds.map((r) => r.pageMs / r.baselineMs);
  const ms = (n: number) => `${Math.round(n).toLocaleString("en-US")} ms`;
  return (
    `over ${rounds.length} rounds after a warm-up: page ${ms(Math.min(...rounds.map((r) => r.pageMs)))} to ${ms(Math.max(...rounds.map((r) => r.pageMs)))}, ` +
    `baseline ${ms(Math.min(...rounds.map((r) => r.baselineMs)))} to ${ms(Math.max(...rounds.map((r) => r.baselineMs)))}, ` +
    `per-round ratio ${Math.min(...ratios).toFixed(2)}x to ${Math.max(...ratios).toFixed(2)}x (median ${median(ratios).toFixed(2)}x)`
  );
}

/** A warm-up round, then ROUNDS measured rounds of `round`. */
async function rounds(round: () => Promise<Round>): Promise<Round[]> {
  await round();
  const measured: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) measured.push(await round());
  return measured;
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

    /** Runs `measure` on a new page in a fresh browser context (nothing cached), closed after. */
    const inFreshPage = async <T>(measure: (page: Page) => Promise<T>): Promise<T> => {
      const page = await newPage(browser);
      page.setDefaultTimeout(300_000);
      try {
        return await measure(page);
      } finally {
        await page.context().close();
      }
    };

    // U1: the run page until its graph is drawn (the canvas is marked laid out after the first layout).
    const graph = await rounds(async () => {
      let pageMs = 0;
      const { bytes } = await inFreshPage((page) =>
        apiBytes(page, async () => {
          pageMs = await timed(async () => {
            await page.goto(`${server.url}/runs/${runId}`);
            await page.locator('[data-testid="graph"][data-laid-out="true"]').waitFor();
          });
        }),
      );
      const baselineMs = await timed(async () => {
        await client.getFlowRun(runId);
        await client.getFlow(flowId);
        await (await fetch(`${server.url}/api/flow-runs/${runId}/graph`)).json();
      });
      return { pageMs, baselineMs, bytes, otherBytes: 0 };
    });

    // U2: the runs list until it says 10,000 runs. Its own pages are counted apart from its live refresh
    // (the reads with updatedAfter).
    const list = await rounds(async () => {
      let pageMs = 0;
      const { bytes, other } = await inFreshPage((page) =>
        apiBytes(
          page,
          async () => {
            pageMs = await timed(async () => {
              await page.goto(`${server.url}/runs?flow=bench-wide`);
              await page
                .getByTestId("run-count")
                .filter({ hasText: /^10,00\d runs/ })
                .waitFor();
            });
          },
          (url) => !url.searchParams.has("updatedAfter"),
        ),
      );
      const baselineMs = await timed(async () => {
        let cursor: string | undefined;
        do {
          const pageOfRuns = await client.listFlowRuns({ flowName: "bench-wide", limit: 1000, ...(cursor ? { cursor } : {}) });
          cursor = pageOfRuns.nextCursor;
        } while (cursor);
      });
      return { pageMs, baselineMs, bytes, otherBytes: other };
    });

    const kb = (bytes: number) => `${Math.round(bytes / 1024).toLocaleString("en-US")} KB`;
    return [
      {
        metric: `U1 run page of a finished ${TASKS.toLocaleString()}-task run: graph shown`,
        unit: "ms",
        value: median(graph.map((r) => r.pageMs)),
        baseline: median(graph.map((r) => r.baselineMs)),
        baselineName: "the run, its flow and its graph read with fetch from Node",
        higherIsBetter: false,
        notes: spread(graph),
      },
      {
        metric: `U1 API payload of that page`,
        unit: "KB",
        value: median(graph.map((r) => r.bytes)) / 1024,
        baseline: null,
        baselineName: "-",
        higherIsBetter: false,
        notes: "every /api answer the page read until the graph was drawn",
      },
      {
        metric: `U2 runs list: ${RUNS.toLocaleString()} runs shown`,
        unit: "ms",
        value: median(list.map((r) => r.pageMs)),
        baseline: median(list.map((r) => r.baselineMs)),
        baselineName: "the same pages of runs with fetch from Node",
        higherIsBetter: false,
        notes: spread(list),
      },
      {
        metric: `U2 API payload of the runs list`,
        unit: "KB",
        value: median(list.map((r) => r.bytes)) / 1024,
        baseline: null,
        baselineName: "-",
        higherIsBetter: false,
        notes:
          `the list's pages of runs plus the flow and agent names; its live refresh read ` +
          `${kb(Math.min(...list.map((r) => r.otherBytes)))} to ${kb(Math.max(...list.map((r) => r.otherBytes)))} more until 10,000 runs were shown`,
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
