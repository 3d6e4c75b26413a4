import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunReport } from "../../src/cli/display/report.js";
import { BIN, fixture, runCli, startCli } from "./support.js";

const NUMBERS = fixture("numbers.ts");
/** Whole-suite limits: each spawned process is also killed after 30 s (support.ts). Generous for loaded CI machines. */
const TIMEOUT = { timeout: 240_000 };

describe("sluice run (end to end)", TIMEOUT, () => {
  it("runs a TypeScript flow with parameters and prints plain lines and a summary", async () => {
    const r = await runCli(["run", NUMBERS, "--flow", "sum-of-squares", "--param", "n=4"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /flow sum-of-squares Running/);
    assert.match(r.stdout, /task range Success/);
    assert.match(r.stdout, /task square Mapped \(4 children\)/);
    assert.match(r.stdout, /task square\[3\] Success/);
    assert.match(r.stdout, /INFO {2}\[square\[0\]\] squaring the first number \{"x":1\}/);
    assert.match(r.stdout, /Flow run sum-of-squares \(.+\) ended Success in/);
    assert.match(r.stdout, /7 task runs: Success 6 · Mapped 1/);
    assert.match(r.stdout, /value: 30\n/);
    assert.ok(!r.stdout.includes("\x1b["), "no escape sequences outside a terminal");
    assert.equal(r.stderr, "");
  });

  it("summarises a large map instead of printing every child", async () => {
    const r = await runCli(["run", NUMBERS, "--flow", "sum-of-squares", "--param", "n=200"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /task square: 200 mapped runs finished in .+: 200 Success/);
    assert.doesNotMatch(r.stdout, /task square\[\d+\]/);
    assert.match(r.stdout, /value: 2686700\n/);
  });

  it("--json prints one document with every task run's state and duration", async () => {
    const r = await runCli(["run", NUMBERS, "--flow", "sum-of-squares", "--param", "n=3", "--param", "label=sum", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as RunReport;
    assert.equal(report.state, "Success");
    assert.equal(report.flowName, "sum-of-squares");
    assert.equal(report.module, NUMBERS);
    assert.equal(report.executor, "local");
    assert.deepEqual(report.parameters, { n: 3, label: "sum" });
    assert.equal(report.value, 14);
    assert.deepEqual(report.counts, { Success: 5, Mapped: 1 });
    assert.deepEqual(
      report.taskRuns.map((t) => [t.taskKey, t.mapIndex, t.state, t.attempts]),
      [
        ["range", null, "Success", 1],
        ["square", null, "Mapped", 0],
        ["square", 0, "Success", 1],
        ["square", 1, "Success", 1],
        ["square", 2, "Success", 1],
        ["sum", null, "Success", 1],
      ],
    );
    assert.ok(report.taskRuns.filter((t) => t.state === "Success").every((t) => typeof t.durationMs === "number" && t.durationMs >= 0));
    assert.ok(report.durationMs > 0);
  });

  it("exits 1 on a failed run and names the failed task", async () => {
    const r = await runCli(["run", NUMBERS, "--flow", "failing"]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /task boom Failed \(\d+ ms\): boom went the task/);
    assert.match(r.stdout, /ended Failed/);
    assert.match(r.stdout, /Failed boom: boom went the task/);
    const json = await runCli(["run", NUMBERS, "--flow", "failing", "--json"]);
    assert.equal(json.code, 1);
    assert.equal((JSON.parse(json.stdout) as RunReport).state, "Failed");
  });

  it("a failed task's stack trace points at the TypeScript file and line of the flow", async () => {
    const r = await runCli(["run", NUMBERS, "--flow", "failing", "--json"]);
    assert.equal(r.code, 1, r.stderr);
    const boom = (JSON.parse(r.stdout) as RunReport).taskRuns.find((t) => t.taskKey === "boom");
    assert.ok(boom?.error?.stack, r.stdout);
    assert.ok(boom.error.stack.includes(`${NUMBERS}:22:9`), boom.error.stack);
    assert.doesNotMatch(boom.error.stack, /sluice-ts-cache/);
  });

  it("runs the same flow on the workers executor", async () => {
    const r = await runCli(["run", NUMBERS, "--flow", "sum-of-squares", "--param", "n=5", "--executor", "workers", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as RunReport;
    assert.equal(report.executor, "workers");
    assert.equal(report.value, 55);
  });

  it("reads --params-file, with --param winning", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sluice-run-"));
    try {
      await writeFile(join(dir, "p.json"), JSON.stringify({ n: 2, label: "file" }));
      const r = await runCli(["run", NUMBERS, "--flow", "sum-of-squares", "--params-file", join(dir, "p.json"), "--param", "label=flag", "--json"]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual((JSON.parse(r.stdout) as RunReport).parameters, { n: 2, label: "flag" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("exits 2 on bad input, with a message naming what is wrong", async () => {
    const cases: [string[], RegExp][] = [
      [["run", fixture("missing.ts")], /flow module .*missing\.ts does not exist/],
      [["run", NUMBERS], /defines 4 flows \("failing", "ignores-cancel", "slow", "sum-of-squares"\); choose one by name \(--flow <name>\)/],
      [["run", NUMBERS, "--flow", "nope"], /has no flow named "nope"; its flows are:/],
      [["run", NUMBERS, "--flow", "sum-of-squares", "--param", "n=0"], /parameter "n" = 0: Too small/],
      [["run", NUMBERS, "--flow", "sum-of-squares", "--param", "colour=red"], /unknown parameter "colour" \(known: n, label\)/],
      [["run", NUMBERS, "--flow", "sum-of-squares", "--param", "n"], /--param "n" is not of the form name=value/],
      [["run", NUMBERS, "--flow", "sum-of-squares", "--params-file", "/nonexistent/p.json"], /--params-file \/nonexistent\/p\.json cannot be read/],
      [
        ["run", NUMBERS, "--flow", "sum-of-squares", "--executor", "bogus"],
        /--executor bogus: unknown executor kind "bogus"; known kinds: .*local.*concurrent.*workers/,
      ],
      [["run", fixture("throws.ts")], /failed to load: kaboom while importing/],
      [["run"], /missing required argument 'file'/],
    ];
    // Three processes at a time, to bound both the wall time and the load.
    for (let i = 0; i < cases.length; i += 3) {
      const batch = cases.slice(i, i + 3);
      const results = await Promise.all(batch.map(([args]) => runCli(args)));
      batch.forEach(([args, pattern], j) => {
        const r = results[j]!;
        assert.equal(r.code, 2, `${args.join(" ")}: exit ${r.code}\n${r.stderr}`);
        assert.match(r.stderr, pattern, args.join(" "));
        assert.equal(r.stdout, "", args.join(" "));
      });
    }
  });
});

describe("sluice run: Ctrl-C", TIMEOUT, () => {
  it("first SIGINT cancels the run gracefully: running tasks end Cancelled, exit 130", async () => {
    const cli = startCli(["run", NUMBERS, "--flow", "slow"]);
    await cli.waitForOutput(/task sleepy Running/);
    cli.child.kill("SIGINT");
    const r = await cli.done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /SIGINT: cancelling the flow run/);
    assert.match(r.stdout, /task sleepy Cancelled/);
    assert.match(r.stdout, /flow slow Cancelled/);
    assert.match(r.stdout, /ended Cancelled/);
  });

  it("a second SIGINT exits at once, even while a task ignores cancellation", async () => {
    const cli = startCli(["run", NUMBERS, "--flow", "ignores-cancel"]);
    await cli.waitForOutput(/task stubborn Running/);
    cli.child.kill("SIGINT");
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = performance.now();
    cli.child.kill("SIGINT");
    const r = await cli.done;
    assert.equal(r.code, 130);
    assert.match(r.stderr, /SIGINT again: exiting without waiting/);
    assert.doesNotMatch(r.stdout, /ended/);
    assert.ok(performance.now() - second < 5000, "exited without waiting for the run");
  });

  it("after a first SIGINT, a task that ignores cancellation does not hold the process", async () => {
    const cli = startCli(["run", NUMBERS, "--flow", "ignores-cancel"]);
    await cli.waitForOutput(/task stubborn Running/);
    const sent = performance.now();
    cli.child.kill("SIGINT");
    const r = await cli.done;
    assert.equal(r.code, 130);
    assert.match(r.stdout, /task stubborn Cancelled/);
    assert.ok(performance.now() - sent < 15_000, "the 30 s task did not keep the process alive");
  });
});

describe("sluice run in a terminal (under script(1))", { timeout: 120_000, skip: existsSync("/usr/bin/script") ? false : "script(1) is not installed" }, () => {
  it("draws a live frame (progress bar, counts, running tasks) and ends with the summary", async () => {
    const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const command = [process.execPath, "--conditions=sluice-source", BIN, "run", NUMBERS, "--flow", "slow", "--param", "ms=600"].map(quote).join(" ");
    const env: NodeJS.ProcessEnv = { ...process.env, SLUICE_DEV: "1", TERM: "xterm", CI: "" };
    delete env.NODE_TEST_CONTEXT;
    const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      const child = spawn("/usr/bin/script", ["-qec", command, "/dev/null"], { env, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
      const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.on("close", (c) => {
        clearTimeout(killer);
        resolve({ stdout: out, code: c });
      });
    });
    assert.equal(code, 0, stdout);
    assert.ok(stdout.includes("\x1b[?25l"), "hides the cursor while drawing");
    assert.match(stdout, /[█░]{10,} +\d+% {2}0\/1 task runs/);
    assert.match(stdout, /▸ sleepy {2}\d+ ms/);
    assert.ok(stdout.includes("\x1b[3F\x1b[0J") || stdout.includes("\x1b[4F\x1b[0J"), "redraws in place");
    assert.match(stdout, /Flow run slow \(.+\) ended .\[32mSuccess.\[0m in/);
    assert.match(stdout, /value: 600/);
    assert.ok(stdout.trimEnd().endsWith("\x1b[?25h"), "shows the cursor again at the end");
  });
});
