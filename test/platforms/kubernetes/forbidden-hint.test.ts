/**
 * A 403 names the exact verb and resource Kubernetes refused (read from its Status) and the Role that
 * grants it: the agent's (docs/kubernetes.md) or the cluster scheduler's (docs/cluster.md).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiException } from "@kubernetes/client-node";
import { KubernetesApiError, kubernetesError } from "../../../src/platforms/kubernetes/api-error.js";
import { ClusterApi } from "../../../src/platforms/kubernetes/cluster/cluster-api.js";
import { startKubeStandin, type KubeStandin } from "../../support/kube/index.js";

const forbidden = (message: string) =>
  new ApiException(403, "", JSON.stringify({ kind: "Status", status: "Failure", code: 403, reason: "Forbidden", message }), {});

describe("403 hints", { timeout: 30_000 }, () => {
  let kube: KubeStandin;
  before(async () => {
    kube = await startKubeStandin({ runner: "process" });
  });
  after(() => kube.close());

  it("names the refused verb, resource, group and namespace, and the agent's Role", () => {
    const error = kubernetesError(
      "listing events",
      forbidden('events is forbidden: User "system:serviceaccount:flows:sluice-agent" cannot list resource "events" in API group "" in the namespace "flows"'),
      "s",
    );
    assert.match(
      error.message,
      /Grant the service account \(or kubeconfig user\) system:serviceaccount:flows:sluice-agent "list" on "events" in namespace "flows": apply the Role sluice-agent \(docs\/kubernetes\.md, RBAC\), bound to it\.$/,
    );
    assert.doesNotMatch(error.message, /jobs, pods and events/);
  });

  it("names the cluster scheduler's Role of docs/cluster.md, with the subresource refused (pods/log)", async () => {
    const lift = kube.deny("get", "pods/log");
    try {
      const api = await ClusterApi.connect({ kubeconfig: kube.kubeconfigPath });
      const error = await api.readPodLog("default", "worker-1", undefined, 10).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof KubernetesApiError, String(error));
      assert.equal(error.statusCode, 403);
      assert.match(error.message, /"get" on "pods\/log" in namespace "default": apply the Role sluice-cluster-scheduler \(docs\/cluster\.md, RBAC\)/);
    } finally {
      lift();
    }
  });
});
