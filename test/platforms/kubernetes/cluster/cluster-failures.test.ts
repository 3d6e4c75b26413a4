/**
 * How a worker-cluster run fails, against real Redis and the Kubernetes stand-in (process mode). The
 * test process is the scheduler here (`run()` called directly): an unreachable broker, a worker that
 * cannot load the flow and workers whose image cannot be pulled each fail the run with a clear reason,
 * and every pod the run started is removed.
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configSchema, type SluiceConfig } from "../../../../src/config/schema.js";
import type { SluiceError } from "../../../../src/core/errors.js";
import type { RunEvent } from "../../../../src/core/events.js";
import type { AnyFlow } from "../../../../src/core/flow.js";
import { createLogger } from "../../../../src/core/logger.js";
import type { KubernetesClusterEnvironment } from "../../../../src/platforms/kubernetes/cluster/index.js";
import { DEFAULT_BROKER_IMAGE } from "../../../../src/platforms/kubernetes/cluster/broker.js";
import { startKubeStandin, type KubeStandin } from "../../../support/kube/index.js";
import { serviceSuite } from "../../../support/services.js";
import { brokenWorkerFlow, IMAGE, missingImageFlow, unreachableBrokerFlow } from "./fixtures/cluster-flow.js";

await serviceSuite(["redis"], "worker-cluster failures on the Kubernetes stand-in", () => {
  let kube: KubeStandin;
  let outDir: string;
  let config: SluiceConfig;
  let runs = 0;
  const quiet = createLogger({ level: "silent" });

  before(async () => {
    kube = await startKubeStandin({ runner: "process", knownImages: [IMAGE, DEFAULT_BROKER_IMAGE] });
    config = configSchema().parse({ kubernetes: { kubeconfig: kube.kubeconfigPath }, logging: { level: "warn" } });
    outDir = mkdtempSync(join(tmpdir(), "sluice-cluster-fail-"));
  });
  after(async () => {
    await kube?.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  const run = async (flow: AnyFlow, params: Record<string, unknown> = {}) => {
    const flowRunId = `run-f${process.pid}-${++runs}`;
    const events: RunEvent[] = [];
    const env = flow.environment as KubernetesClusterEnvironment;
    const outcome = await env
      .run(flow, { config, flowRunId, parameters: { outDir, n: 2, ms: 50, tailMs: 50, ...params }, logger: quiet, observers: [(e) => events.push(e)] })
      .then(
        (result) => ({ result, error: undefined }),
        (error: unknown) => ({ result: undefined, error: error as SluiceError }),
      );
    return { flowRunId, events, ...outcome };
  };
  const leftovers = (flowRunId: string) =>
    kube.pods().filter((p) => p.metadata.labels?.["sluice.io/flow-run-id"] === flowRunId && !p.metadata.deletionTimestamp);
  const allGone = (flowRunId: string) =>
    kube.waitFor(
      () => ["pods", "services", "secrets"].every((r) => kube.objects(r).every((o) => o.metadata.labels?.["sluice.io/flow-run-id"] !== flowRunId)),
      30_000,
    );

  it("an unreachable broker fails the run with the URL and the reason, before any worker pod", { timeout: 60_000 }, async () => {
    const { flowRunId, error, events } = await run(unreachableBrokerFlow);
    assert.ok(error, "the run fails");
    assert.equal(error.code, "SERVICE_UNAVAILABLE");
    assert.equal(error.field, "broker");
    assert.match(error.message, /KubernetesClusterEnvironment: the broker cannot be used: cannot use Redis at redis:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
    const failed = events.find((e) => e.type === "flow-run-state" && e.state.name === "Failed");
    assert.ok(
      failed && failed.type === "flow-run-state" && /cannot use Redis at redis:\/\/127\.0\.0\.1:1/.test(failed.state.message ?? ""),
      "observers see the run Failed with the reason",
    );
    assert.ok(
      events.some((e) => e.type === "log" && e.record.level === "error" && /cannot use Redis/.test(e.record.message)),
      "and an error log on the run",
    );
    assert.equal(kube.received.filter((r) => r.resource === "pods" && r.body && JSON.stringify(r.body).includes(flowRunId)).length, 0, "no pod was created");
  });

  it("a worker that cannot load the flow fails the run with the loading error; its pods are removed", { timeout: 120_000 }, async () => {
    const { flowRunId, result, error } = await run(brokenWorkerFlow);
    assert.equal(error, undefined, error?.message);
    assert.equal(result!.state.name, "Failed");
    const plan = result!.taskRun("plan");
    assert.equal(plan?.state.name, "Failed");
    assert.match(plan!.state.message ?? "", /Cannot find package 'left-pad'.*lacks the flow's dependencies/);
    assert.equal(plan!.attempts, 1, "a flow that cannot load is not retried");
    assert.deepEqual(leftovers(flowRunId), [], "no worker pod is left running");
    await allGone(flowRunId);
  });

  it("workers whose image cannot be pulled fail the run with Kubernetes' reason instead of waiting", { timeout: 120_000 }, async () => {
    const { flowRunId, result, error, events } = await run(missingImageFlow);
    assert.equal(error, undefined, error?.message);
    assert.equal(result!.state.name, "Failed");
    const plan = result!.taskRun("plan")!;
    assert.match(plan.state.message ?? "", /a worker pod cannot start: pod sluice-worker-.* container worker cannot start: (ErrImagePull|ImagePullBackOff)/);
    assert.ok(
      events.some((e) => e.type === "log" && e.record.level === "error" && /the worker cluster failed/.test(e.record.message)),
      "the cluster's failure is logged on the run",
    );
    await allGone(flowRunId);
  });
});
