/**
 * `kubeTarget()`: the stand-in with its hooks by default; with SLUICE_TEST_KUBECONFIG, the cluster that
 * kubeconfig names, without hooks (here a second stand-in plays the real cluster: only its API is used).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CoreV1Api } from "@kubernetes/client-node";
import { kubeTarget, startKubeStandin, targetEnv } from "../support/kube/index.js";

describe("kubeTarget()", { timeout: 30_000 }, () => {
  it("is the stand-in by default: hooks, and a namespace of the suite's own", async () => {
    const target = await kubeTarget({ env: {}, standin: { runner: "process" } });
    try {
      assert.equal(target.kind, "standin");
      // Pods are processes of this machine: the server stays on the loopback, its URL as it is.
      assert.equal(target.reach.listenHost, "127.0.0.1");
      assert.equal(target.reach.serverUrl("http://127.0.0.1:4567"), "http://127.0.0.1:4567");
      assert.deepEqual(target.reach.podEnv, {});
      assert.match(target.namespace, /^sluice-test-[0-9a-f]{6}$/);
      const skipped: string[] = [];
      const hooks = target.requireHooks({ skip: (m) => skipped.push(m ?? "") }, "evicts a pod");
      assert.ok(hooks && hooks === target.hooks);
      assert.deepEqual(skipped, []);
      const core = target.kubeConfig.makeApiClient(CoreV1Api);
      await core.createNamespacedConfigMap({ namespace: target.namespace, body: { metadata: { name: "mine" } } });
      assert.deepEqual(
        hooks.objects("configmaps", target.namespace).map((c) => c.metadata.name),
        ["mine"],
      );
    } finally {
      await target.close();
    }
  });

  it(`on a real cluster, pods reach the tests' server at ${targetEnv.serverHost} (else the API server's host) and get the fixtures' image and command variables`, async () => {
    const cluster = await startKubeStandin({ runner: "process" });
    try {
      const env = {
        [targetEnv.kubeconfig]: cluster.kubeconfigPath,
        [targetEnv.serverHost]: "10.9.8.7",
        [targetEnv.image]: "registry.example/sluice-checkout:1",
        [targetEnv.sluiceCommand]: "node /src/cli/main.ts",
      };
      const target = await kubeTarget({ env });
      try {
        assert.equal(target.reach.listenHost, "0.0.0.0");
        assert.equal(target.reach.serverUrl("http://127.0.0.1:4567"), "http://10.9.8.7:4567");
        assert.deepEqual(target.reach.podEnv, { [targetEnv.image]: "registry.example/sluice-checkout:1", [targetEnv.sluiceCommand]: "node /src/cli/main.ts" });
      } finally {
        await target.close();
      }
      const plain = await kubeTarget({ env: { [targetEnv.kubeconfig]: cluster.kubeconfigPath } });
      try {
        assert.equal(plain.reach.serverUrl("http://127.0.0.1:4567"), `http://${new URL(cluster.url).hostname}:4567`);
        assert.deepEqual(plain.reach.podEnv, {});
      } finally {
        await plain.close();
      }
    } finally {
      await cluster.close();
    }
  });

  it(`runs against the cluster of ${targetEnv.kubeconfig}: no hooks (tests needing them skip with the reason), its own namespace, removed at close`, async () => {
    const cluster = await startKubeStandin({ runner: "process" });
    try {
      const target = await kubeTarget({ env: { [targetEnv.kubeconfig]: cluster.kubeconfigPath }, namespacePrefix: "suite" });
      assert.equal(target.kind, "cluster");
      assert.equal(target.hooks, undefined);
      assert.equal(target.kubeconfigPath, cluster.kubeconfigPath);
      const skipped: string[] = [];
      assert.equal(target.requireHooks({ skip: (m) => skipped.push(m ?? "") }, "OOM-kills a container"), undefined);
      assert.equal(skipped.length, 1);
      assert.match(
        skipped[0]!,
        /^OOM-kills a container: needs the Kubernetes stand-in's hooks, not available against the real cluster of SLUICE_TEST_KUBECONFIG$/,
      );
      const core = target.kubeConfig.makeApiClient(CoreV1Api);
      const ns = await core.readNamespace({ name: target.namespace });
      assert.match(ns.metadata!.name!, /^suite-[0-9a-f]{6}$/);
      assert.equal(ns.metadata!.labels!["sluice.io/test"], "true");
      // The view reads the cluster through watches: a pod created there shows, and its deletion too.
      assert.deepEqual(target.view.pods(), []);
      await core.createNamespacedPod({
        namespace: target.namespace,
        body: { metadata: { name: "seen" }, spec: { containers: [{ name: "main", image: "sluice-test/never-pulled:1" }] } },
      });
      const pod = await target.view.waitFor(() => target.view.pods(target.namespace).find((p) => p.metadata.name === "seen"));
      assert.equal(typeof pod.metadata.creationTimestamp, "string");
      await target.view.waitFor(() => target.view.events().some((e) => e.involvedObject?.name === "seen"));
      await core.deleteNamespacedPod({ name: "seen", namespace: target.namespace, gracePeriodSeconds: 0 });
      await target.view.waitFor(() => target.view.pods().length === 0);
      await target.close();
      await cluster.waitFor(() => !cluster.objects("namespaces").some((n) => n.metadata.name === target.namespace));
    } finally {
      await cluster.close();
    }
  });
});
