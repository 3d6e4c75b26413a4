/**
 * Every command of README.md runs, in the order a reader meets it. The fenced `sh` blocks are read from
 * the README; each command must have a step below (a command without one fails, naming it) and is run
 * as written by `sh -c`, with:
 *   - a temporary HOME (so ~/.sluice is fresh) and TMPDIR, `npx sluice` and `sluice` mapped to this
 *     repository's bin/sluice.js (from source), and the server on a free port (SLUICE__SERVER__PORT and
 *     SLUICE__API__URL, the configuration a reader would set to move it);
 *   - SLUICE__DOCKER__BASE_IMAGE set to the local base image (nothing is pulled here), as the README
 *     tells a machine without Docker Hub to do;
 *   - long-running commands (`server start`, `agent start`) started in the background, waited for until
 *     they say they are ready, and stopped at the end;
 *   - `<id>` replaced by the id the previous `flow-run create` printed;
 *   - a Kubernetes API stand-in (test/support/kube, pods as Docker containers) for the Kubernetes
 *     commands, through SLUICE__KUBERNETES__KUBECONFIG.
 * A command that needs a service missing here is skipped with the reason (a failure under CI=true).
 * Two commands cannot run inside the suite and are checked instead: `npm ci` (validated against the lock
 * with --dry-run in a copy of package.json and package-lock.json; .ci/run installs with it for real) and
 * `npm test` (this test is part of it; its script is checked).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { copyFile, mkdtemp, readFile, rm, writeFile, chmod, mkdir } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient, type FlowRun } from "../../src/client/index.js";
import { isFinished } from "../../src/core/states.js";
import { missingServices, services, type Service } from "../support/services.js";
import { startKubeStandin, type KubeStandin } from "../support/kube/index.js";
import { shellCommands, withoutComment, type ReadmeCommand } from "./readme.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const COMMANDS = shellCommands(README);

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Step {
  /** Services the command needs; without them it is skipped (failed under CI=true). */
  needs?: Service[];
  /** Needs the Kubernetes stand-in (started on first use). */
  kube?: boolean;
  /** Runs in the background until the end; started when its output matches this. */
  background?: RegExp;
  timeoutMs?: number;
  /** Checks instead of running the command (see the file's comment). */
  instead?: () => Promise<void>;
  /** Checks the result of a command that exited 0. */
  check?: (result: Result) => void | Promise<void>;
}

/** The variables the suites read, as test/support/services.ts and scripts/test.mjs name them, plus test-only SLUICE_TEST_* switches. */
function suiteVariables(): string[] {
  const sources = [join(ROOT, "test/support/services.ts"), join(ROOT, "scripts/test.mjs"), join(ROOT, "test/platforms/kubernetes/agent-e2e.test.ts")];
  const names = new Set<string>();
  for (const file of sources) for (const m of readFileSync(file, "utf8").matchAll(/process\.env\.([A-Z_]+)/g)) names.add(m[1]!);
  return [...names].sort();
}

let home = "";
let shims = "";
let port = 0;
let lastRunId: string | undefined;
let kube: KubeStandin | undefined;
const background: ChildProcess[] = [];

const url = (): string => `http://127.0.0.1:${port}`;

function env(): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name === "NODE_TEST_CONTEXT" || name === "NODE_OPTIONS" || name.startsWith("SLUICE__") || name === "SLUICE_SERVICES_DIR") continue;
    out[name] = value;
  }
  return {
    ...out,
    HOME: home,
    TMPDIR: join(home, "tmp"),
    PATH: `${shims}:${process.env.PATH ?? ""}`,
    SLUICE_DEV: "1",
    SLUICE__SERVER__PORT: String(port),
    SLUICE__API__URL: url(),
    SLUICE__DOCKER__BASE_IMAGE: services.nodeImage,
    SLUICE__AGENT__MIN_POLL_INTERVAL_MS: "100",
    SLUICE__AGENT__MAX_POLL_INTERVAL_MS: "500",
    SLUICE__LOGGING__BATCH_INTERVAL_MS: "200",
    ...(kube ? { SLUICE__KUBERNETES__KUBECONFIG: kube.kubeconfigPath } : {}),
  };
}

const substitute = (text: string): string => {
  if (!text.includes("<id>")) return text;
  assert.ok(lastRunId, "a `flow-run create` before this command printed the run's id");
  return text.replaceAll("<id>", lastRunId);
};

function run(text: string, timeoutMs: number): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn("sh", ["-c", substitute(text)], { cwd: ROOT, env: env(), stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const killer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Starts a long-running command (the shell replaced by it, so signals reach it) and waits for `ready`. */
async function start(text: string, ready: RegExp, timeoutMs: number): Promise<void> {
  const child = spawn("sh", ["-c", `exec ${substitute(text)}`], { cwd: ROOT, env: env(), stdio: ["ignore", "pipe", "pipe"], detached: true });
  background.push(child);
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (output += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (output += d));
  const deadline = Date.now() + timeoutMs;
  while (!ready.test(output)) {
    if (child.exitCode !== null || child.signalCode !== null)
      assert.fail(`${text} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output.slice(-3000)}`);
    if (Date.now() > deadline) assert.fail(`${text} did not print ${ready} within ${timeoutMs} ms:\n${output.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopBackground(): Promise<void> {
  for (const child of background.reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
    child.kill("SIGINT");
    const force = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 15_000);
    await closed;
    clearTimeout(force);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

const ok = (r: Result, text: string): void =>
  assert.equal(r.code, 0, `${text} exited ${r.code ?? r.signal}\nstdout:\n${r.stdout.slice(-3000)}\nstderr:\n${r.stderr.slice(-3000)}`);

/** Remembers the id a `flow-run create` printed. */
const created = (r: Result): void => {
  const id = /Created flow run (\S+) of/.exec(r.stdout)?.[1];
  assert.ok(id, r.stdout);
  lastRunId = id;
};

const waitForState = async (id: string, timeoutMs: number): Promise<FlowRun> => {
  const client = createClient({ url: url() });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const flowRun = await client.getFlowRun(id);
    if (isFinished(flowRun.state.name)) return flowRun;
    if (Date.now() > deadline) assert.fail(`flow run ${id} is still ${flowRun.state.name} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
};

const succeeded = (pattern: RegExp) => (r: Result) => assert.match(r.stdout, pattern);

const DOCKER: Service[] = ["docker", "registry"];
const BUILD_MS = 600_000;

/** One step per README command, keyed by the command without its comment. */
const STEPS: Record<string, Step> = {
  "npm ci": {
    instead: async () => {
      const dir = await mkdtemp(join(tmpdir(), "sluice-readme-npm-ci-"));
      try {
        await copyFile(join(ROOT, "package.json"), join(dir, "package.json"));
        await copyFile(join(ROOT, "package-lock.json"), join(dir, "package-lock.json"));
        const r = await new Promise<Result>((resolve) => {
          const child = spawn("npm", ["ci", "--dry-run", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
          let stdout = "";
          let stderr = "";
          child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
          child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
          child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
        });
        ok(r, "npm ci --dry-run");
        assert.doesNotMatch(r.stderr, /EBADENGINE|npm warn/i, "no warnings on this Node.js");
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  },
  "npm test": {
    instead: async () => {
      const scripts = (JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
      for (const part of ["npm run build", "npm run typecheck", "npm run lint", "node scripts/test.mjs"]) {
        assert.ok(scripts.test?.includes(part), `npm test runs ${part}: ${scripts.test}`);
      }
      assert.match(
        await readFile(join(ROOT, "scripts/test.mjs"), "utf8"),
        /const roots = \["src", "test", "examples"\]/,
        "scripts/test.mjs finds the tests under test/, this one included",
      );
    },
  },
  "npx sluice run examples/hello.ts": { check: succeeded(/INFO +\[say\] Hello, world!\n[\s\S]*ended Success/) },
  "npx sluice run examples/squares.ts --param n=10": { check: succeeded(/ended Success[\s\S]*value: 385/) },
  "npx sluice run examples/squares.ts --param n=10 --json": {
    check: (r) => {
      const report = JSON.parse(r.stdout) as { state: string; value: unknown };
      assert.equal(report.state, "Success");
      assert.equal(report.value, 385);
    },
  },
  "npx sluice run examples/squares.ts --executor concurrent": { check: succeeded(/ended Success[\s\S]*value: 14/) },
  "npx sluice flows examples/squares.ts": { check: succeeded(/flow "squares"[\s\S]*range[\s\S]*square[\s\S]*sum/) },
  "npx sluice build examples/etl-docker.ts": { needs: DOCKER, timeoutMs: BUILD_MS, check: succeeded(/127\.0\.0\.1:5000\/etl:v1/) },
  "npx sluice run examples/etl-docker.ts --environment docker": {
    needs: DOCKER,
    timeoutMs: BUILD_MS,
    check: succeeded(/INFO +\[load\] loaded 3 rows[\s\S]*ended Success/),
  },
  "npx sluice run examples/etl-docker.ts --environment docker --image 127.0.0.1:5000/etl:v1": {
    needs: DOCKER,
    timeoutMs: 300_000,
    check: succeeded(/ended Success/),
  },
  "npx sluice server start": { background: /listening on http:\/\/127\.0\.0\.1:\d+/ },
  "npx sluice register examples/etl.ts": { check: succeeded(/etl/) },
  "npx sluice agent start local": { background: /polls http/ },
  "npx sluice flow-run create etl --param n=5": { check: created },
  "npx sluice flow-run watch <id>": {
    timeoutMs: 180_000,
    check: (r) => {
      assert.match(r.stdout, /task load Retrying: database connection reset/);
      assert.match(r.stdout, /task transform\[4\] Success/);
      assert.match(r.stdout, /flow etl Success/);
    },
  },
  "npx sluice register examples/kubernetes/etl.ts --label k8s": { needs: DOCKER, timeoutMs: BUILD_MS, check: succeeded(/k8s-etl/) },
  "npx sluice agent start kubernetes --namespace flows --label k8s": { needs: DOCKER, kube: true, background: /polls http/ },
  "npx sluice flow-run create k8s-etl": {
    needs: DOCKER,
    kube: true,
    timeoutMs: 300_000,
    check: async (r) => {
      created(r);
      const flowRun = await waitForState(lastRunId!, 240_000);
      const logs = (await createClient({ url: url() }).readLogs(flowRun.id)).items.map((l) => `${l.level} ${l.message}`);
      assert.equal(flowRun.state.name, "Success", `${flowRun.state.message}\n${logs.join("\n")}`);
      assert.ok(
        logs.some((l) => l === "info loaded 3 rows"),
        logs.join("\n"),
      );
    },
  },
  "bash scripts/services.sh start": {
    needs: ["docker", "registry", "redis", "postgres"],
    timeoutMs: 300_000,
    check: async () => {
      const file = join(home, "tmp", "sluice-services", "env.sh");
      const written = await readFile(file, "utf8");
      const defined = [...written.matchAll(/^export ([A-Z_]+)=/gm)].map((m) => m[1]!);
      const read = suiteVariables().filter((v) => v === "SLUICE_TEST_POSTGRES_URL" || (v !== "CI" && !v.startsWith("SLUICE_TEST_")));
      assert.deepEqual(
        read.filter((v) => !defined.includes(v)),
        [],
        `${file} defines every service variable the suites read`,
      );
    },
  },
  '. "${TMPDIR:-/tmp}/sluice-services/env.sh"': {},
  "bash scripts/services.sh stop": {},
};

const reasons = new Map<string, string | null>();
for (const c of COMMANDS) {
  const needs = STEPS[c.command]?.needs;
  reasons.set(c.command, needs ? await missingServices(needs) : null);
}

describe("README.md", () => {
  it("has shell commands, and a step here for each of them (and no step for a command it lost)", () => {
    assert.ok(COMMANDS.length > 10, "the README's sh blocks were found");
    const missing = COMMANDS.filter((c) => !(c.command in STEPS)).map((c) => `line ${c.line}: ${c.command}`);
    assert.deepEqual(missing, [], "README commands that no step runs: add a step to test/docs/readme-commands.test.ts");
    const stale = Object.keys(STEPS).filter((s) => !COMMANDS.some((c) => c.command === s));
    assert.deepEqual(stale, [], "steps for commands the README no longer has");
  });

  it("lists every variable the suites read in its Testing section", () => {
    const testing = README.slice(README.indexOf("## Testing"), README.indexOf("\n## ", README.indexOf("## Testing") + 5));
    const absent = suiteVariables().filter((v) => !testing.includes(`\`${v}\``));
    assert.deepEqual(absent, [], "variables read by the suites but not in the README's Testing section");
  });

  it("extracts commands from sh blocks only, without their comments", () => {
    const md = ["```ts", "npx nope", "```", "text", "```sh", "a --x   # say # more", "", "# only a comment", 'b "#not" c', "```"].join("\n");
    assert.deepEqual(
      shellCommands(md).map((c) => [c.line, c.command]),
      [
        [6, "a --x"],
        [9, 'b "#not" c'],
      ],
    );
    assert.equal(withoutComment("x#y # z"), "x#y");
  });
});

describe("README.md commands, in order", { timeout: 3_600_000 }, () => {
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "sluice-readme-"));
    await mkdir(join(home, "tmp"));
    shims = join(home, "bin");
    await mkdir(shims);
    const bin = join(ROOT, "bin", "sluice.js");
    const launcher = `exec "${process.execPath}" --conditions=sluice-source "${bin}" "$@"\n`;
    await writeFile(join(shims, "sluice"), `#!/bin/sh\n${launcher}`);
    await writeFile(
      join(shims, "npx"),
      `#!/bin/sh\nif [ "$1" = sluice ]; then shift; ${launcher}fi\necho "npx $1: only npx sluice is mapped in this test" >&2\nexit 127\n`,
    );
    await chmod(join(shims, "sluice"), 0o755);
    await chmod(join(shims, "npx"), 0o755);
    port = await freePort();
  });
  after(async () => {
    await stopBackground();
    await kube?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  const runStep = async (c: ReadmeCommand, step: Step): Promise<void> => {
    if (step.instead) return step.instead();
    if (step.kube && !kube) kube = await startKubeStandin({ runner: "docker", namespaces: ["flows"] });
    if (step.background) return start(c.text, step.background, step.timeoutMs ?? 120_000);
    const result = await run(c.text, step.timeoutMs ?? 120_000);
    ok(result, c.text);
    await step.check?.(result);
  };

  for (const c of COMMANDS) {
    const step = STEPS[c.command];
    const name = `line ${c.line}: ${c.command}`;
    const reason = reasons.get(c.command) ?? null;
    if (!step) {
      it(name, () => assert.fail(`README line ${c.line} has a command no step runs: ${c.command}`));
    } else if (reason && process.env.CI === "true") {
      it(name, () => assert.fail(`service missing under CI=true: ${reason}`));
    } else if (reason) {
      it(name, { skip: `needs ${step.needs!.join(", ")}: ${reason}` }, () => undefined);
    } else {
      it(name, { timeout: (step.timeoutMs ?? 120_000) + 60_000 }, () => runStep(c, step));
    }
  }
});
