/**
 * The stack the web UI tests drive: the real `sluice server start`, which serves the built UI (dist/ui)
 * at `/` next to the API (and, when asked, a local agent with the UI fixture flows registered), and
 * headless Chromium.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, rm, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { createClient, type SluiceClient } from "../../src/client/index.js";
import { services } from "../support/services.js";
import { json, runSluice, startSluice, type SluiceProcess } from "../e2e/support.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const UI_DIST = join(ROOT, "dist", "ui");
export const SCREENSHOTS = join(ROOT, "docs", "screenshots");
export const UI_FIXTURES = fileURLToPath(new URL("./fixtures/flows.ts", import.meta.url));

/** The newest modification time of the files below `dir`, in ms. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/ui (a few seconds) unless it is current: SLUICE_UI_PREBUILT=1 says so, or its index.html is
 * newer than every file of src/ui. The check matters beyond speed: test files run in parallel, and a build
 * empties dist/ui before writing it again, so a rebuild in one file can leave another file's server without
 * the page it is serving. `npm test` builds the UI first, so its UI test files build nothing.
 */
export function buildUi(): void {
  const index = join(UI_DIST, "index.html");
  if (process.env.SLUICE_UI_PREBUILT === "1" && existsSync(index)) return;
  if (existsSync(index) && statSync(index).mtimeMs >= newestMtime(join(ROOT, "src", "ui"))) return;
  const result = spawnSync(process.execPath, [join(ROOT, "scripts", "build-ui.mjs")], { cwd: ROOT, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`scripts/build-ui.mjs failed:\n${result.stdout}\n${result.stderr}`);
}

export interface Stack {
  home: string;
  apiUrl: string;
  /** Where the browser goes: the server's UI, on the API's origin. */
  url: string;
  client: SluiceClient;
  env: Record<string, string>;
  server: SluiceProcess;
  agent?: SluiceProcess;
  stop(): Promise<void>;
}

/** Starts `sluice server start` (with auth when asked) and, with `agent`, a local agent and the fixture flows. */
export async function startStack(options: { auth?: boolean; agent?: boolean; name: string }): Promise<Stack> {
  const home = await mkdtemp(join(tmpdir(), `sluice-ui-${options.name}-`));
  const env: Record<string, string> = {
    SLUICE__HOME: home,
    SLUICE__SERVER__SERVICE_INTERVAL_MS: "300",
    SLUICE__SERVER__HEARTBEAT_TIMEOUT_MS: "8000",
    // Schedules show their next slots: the scheduler creates a day of them (none is due during a test).
    SLUICE__SERVER__SCHEDULER_LOOKAHEAD_MS: "86400000",
    SLUICE__REPORTER__HEARTBEAT_INTERVAL_MS: "500",
    SLUICE__REPORTER__CANCEL_CHECK_INTERVAL_MS: "300",
    SLUICE__LOGGING__BATCH_INTERVAL_MS: "100",
    SLUICE__AGENT__MIN_POLL_INTERVAL_MS: "50",
    SLUICE__AGENT__MAX_POLL_INTERVAL_MS: "300",
    ...(options.auth ? { SLUICE__SERVER__AUTH: "true" } : {}),
  };
  const server = startSluice(["server", "start", "--port", "0", "--json"], env, 600_000);
  const match = await server.waitFor(/"url": "(http:\/\/127\.0\.0\.1:\d+)"/, 60_000);
  const apiUrl = match[1] ?? "";
  env.SLUICE__API__URL = apiUrl;
  let apiKey: string | undefined;
  if (options.auth) {
    const created = await runSluice(["auth", "create-key", "--name", "ui-test", "--via", "database", "--json"], env);
    if (created.code !== 0) throw new Error(`create-key failed: ${created.stderr}`);
    apiKey = json<{ key: string }>(created).key;
    env.SLUICE__API__KEY = apiKey;
  }
  const client = createClient({ url: apiUrl, apiKey });
  let agent: SluiceProcess | undefined;
  if (options.agent) {
    const registered = await runSluice(["register", UI_FIXTURES, "--label", "ui", "--json"], env, 120_000);
    if (registered.code !== 0) throw new Error(`register failed: ${registered.stderr}`);
    agent = startSluice(["agent", "start", "local", "--name", `ui-${options.name}-agent`, "--label", "ui"], env, 600_000);
    await agent.waitFor(/polls/, 60_000);
  }
  return {
    home,
    apiUrl,
    url: apiUrl,
    client,
    env,
    server,
    ...(agent ? { agent } : {}),
    async stop() {
      await agent?.stop();
      await server.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: services.chromiumPath,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/** A page of 1440×900 in the given colour scheme. */
export async function newPage(browser: Browser, colorScheme: "light" | "dark" = "light"): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme, deviceScaleFactor: 1 });
  return context.newPage();
}

/** Saves a screenshot of the page as docs/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}
