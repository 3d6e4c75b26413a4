import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { flow, task, LocalEnvironment, ConcurrentExecutor, createLogger } from "sluice";
import { runEnvironmentConformance } from "../../../src/testing/environment-suite.js";

const double = task("double", async (n: number) => n * 2);
const doubled = flow("local-env-double", { parameters: z.object({ n: z.number().default(2) }) }, (p) => double(double(p.n)));

runEnvironmentConformance("local", {
  type: "LocalEnvironment",
  create: (options) => new LocalEnvironment(options),
  execute: { flow: doubled, parameters: { n: 5 }, value: 20 },
});

describe("LocalEnvironment", () => {
  it("execute() runs the flow in this process with the environment's executor and the run's id", async () => {
    const executor = new ConcurrentExecutor({ maxConcurrency: 3 });
    const env = new LocalEnvironment({ executor });
    const outcome = await env.execute(doubled, { parameters: { n: 1 }, flowRunId: "run-local-1", logger: createLogger({ level: "silent" }) });
    assert.equal(outcome.kind, "finished");
    assert.equal(outcome.kind === "finished" && outcome.result.flowRunId, "run-local-1");
    assert.equal(outcome.kind === "finished" && outcome.result.value, 4);
  });

  it("setup() has nothing to do", async () => {
    await new LocalEnvironment().setup(doubled);
  });
});
