/**
 * examples/kubernetes/flow.ts without a cluster: the module loads (its job spec validated at
 * construction), the flow runs locally to the seeds' output, and what registration would send carries
 * no spec. The full deployment of this example runs in docker-mode.test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { k8sJobFlow, outputValue } from "../../../examples/kubernetes/flow.js";
import type { KubernetesJobEnvironment } from "../../../src/platforms/kubernetes/index.js";

describe("examples/kubernetes/flow.ts", () => {
  it("runs the two tasks wired with setUpstream and bind", async () => {
    const result = await k8sJobFlow.run({ logLevel: "silent" });
    assert.equal(result.state.name, "Success", result.state.message);
    assert.equal(result.result(k8sJobFlow.addTask(outputValue)), "Example!");
    assert.deepEqual(
      k8sJobFlow
        .describe()
        .tasks.map((t) => [t.key, t.upstream])
        .sort(),
      [
        ["get_value", []],
        ["output_value", ["get_value"]],
      ],
    );
  });

  it("its environment holds the seeds' job spec, which never reaches the server", () => {
    const environment = k8sJobFlow.environment as KubernetesJobEnvironment;
    const container = environment.jobSpec.spec.template.spec.containers[0]!;
    assert.equal(container.name, "flow-container");
    assert.deepEqual(container.env, [{ name: "MY_ENV", value: "foo" }]);
    assert.deepEqual(container.resources, { limits: { cpu: "2", memory: "4G" }, requests: { cpu: "1", memory: "2G" } });
    const serialized = JSON.stringify(environment.serialize());
    assert.ok(!serialized.includes("MY_ENV") && !serialized.includes("job_spec"), serialized);
  });
});
