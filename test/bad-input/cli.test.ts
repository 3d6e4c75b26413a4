/**
 * Bad command-line flags and arguments of the real `sluice` binary: each exits 2 with one message on
 * stderr that names the flag, shows the value and says what to do, prints nothing on stdout, and starts
 * nothing (no server, worker or agent is reached: none runs here).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fixture, runCli, type CliResult } from "../cli/support.js";
import { assertClearMessage } from "./clear-error.js";

interface CliCase {
  args: string[];
  /** Text naming the flag or argument. */
  field: string;
  shows?: string;
}

const NUMBERS = fixture("numbers.ts");

const cases: CliCase[] = [
  { args: ["server", "start", "--port", "http"], field: "--port", shows: '"http"' },
  { args: ["server", "start", "--port", "70000"], field: "--port", shows: '"70000"' },
  { args: ["server", "start", "--database-url", "mysql://db/x"], field: "database URL", shows: "mysql://db/x" },
  { args: ["server", "start", "--host", "0.0.0.0"], field: "0.0.0.0", shows: "0.0.0.0" },
  { args: ["agent", "start", "nope"], field: "agent kind", shows: '"nope"' },
  { args: ["agent", "start", "local", "--max-runs", "zero"], field: "agent.maxConcurrentRuns", shows: '"zero"' },
  { args: ["agent", "start", "local", "--max-runs", "-3"], field: "agent.maxConcurrentRuns", shows: '"-3"' },
  { args: ["agent", "start", "ecs", "--launch-type", "LAMBDA"], field: "--launch-type", shows: '"LAMBDA"' },
  { args: ["agent", "start", "kubernetes", "--job-template", "/nonexistent/job.yaml"], field: "--job-template", shows: "/nonexistent/job.yaml" },
  { args: ["worker", "--redis", "http://127.0.0.1:6379"], field: "redis", shows: "http://127.0.0.1:6379" },
  { args: ["worker", "--redis", "redis://10.1.2.3:6379"], field: "redis", shows: "redis://10.1.2.3:6379" },
  { args: ["worker", "--redis", "redis://127.0.0.1:1", "--concurrency", "0"], field: "--concurrency", shows: '"0"' },
  { args: ["worker", "--redis", "redis://127.0.0.1:1", "--shutdown-grace", "soon"], field: "--shutdown-grace", shows: '"soon"' },
  { args: ["flow-run", "create", "etl", "--start-at", "yesterday"], field: "--start-at", shows: '"yesterday"' },
  { args: ["flow-run", "create", "etl", "--param", "n"], field: "--param", shows: '"n"' },
  { args: ["run", NUMBERS, "--flow", "sum-of-squares", "--environment", "nowhere"], field: "environment kind", shows: '"nowhere"' },
  { args: ["run", NUMBERS, "--flow", "sum-of-squares", "--environment", "docker", "--image", ""], field: "--image", shows: '""' },
  { args: ["run", NUMBERS, "--flow", "sum-of-squares", "--image", "node:20"], field: "--image", shows: "" },
  { args: ["run", NUMBERS, "--flow", "sum-of-squares", "--param", "n=-4"], field: '"n"', shows: "-4" },
  { args: ["run", NUMBERS, "--flow", "sum-of-squares", "--params-file", "/nonexistent/p.json"], field: "--params-file", shows: "/nonexistent/p.json" },
  { args: ["run", NUMBERS, "--flow", "sum-of-squares", "--executor", "quantum"], field: "--executor", shows: '"quantum"' },
];

describe("bad command-line input", { timeout: 300_000 }, () => {
  it(`${cases.length} bad invocations each exit 2 with a clear message and no output`, async () => {
    // Three processes at a time, to bound both the wall time and the load.
    for (let i = 0; i < cases.length; i += 3) {
      const batch = cases.slice(i, i + 3);
      const results: CliResult[] = await Promise.all(batch.map((c) => runCli(c.args)));
      batch.forEach((c, j) => {
        const r = results[j]!;
        const where = `sluice ${c.args.join(" ")}`;
        assert.equal(r.code, 2, `${where}: exit ${r.code}\n${r.stderr}`);
        assert.equal(r.stdout, "", `${where}: nothing on stdout`);
        assert.doesNotMatch(r.stderr, /\n\s+at /, `${where}: no stack trace\n${r.stderr}`);
        assertClearMessage(r.stderr, { field: c.field, ...(c.shows ? { shows: c.shows } : {}) }, where);
      });
    }
  });
});
