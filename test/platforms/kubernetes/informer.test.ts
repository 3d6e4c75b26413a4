/**
 * The informer (src/platforms/kubernetes/informer.ts) against the Kubernetes target (the stand-in, or the
 * real cluster of SLUICE_TEST_KUBECONFIG): its first list, then its watch's ADDED / MODIFIED / DELETED and
 * BOOKMARK events; a watch the server ends is resumed from the last resourceVersion without listing; a 410
 * Expired lists again, with nothing lost or kept twice; a refused watch is retried after a back-off.
 * ConfigMaps are watched (nothing runs for them); the Jobs source of KubernetesApi is tested on a Job.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { BatchV1Api, CoreV1Api, Watch, type V1ConfigMap } from "@kubernetes/client-node";
import { Informer, type InformerOptions, type InformerSource, type WatchQuery } from "../../../src/platforms/kubernetes/informer.js";
import { KubernetesApi } from "../../../src/platforms/kubernetes/kubernetes-api.js";
import { KubernetesApiError } from "../../../src/platforms/kubernetes/api-error.js";
import { kubeTarget, type KubeTarget } from "../../support/kube/index.js";

const LABEL = "sluice.io/informer-test";

/** Resolves when `check` answers true, checked every 20 ms; fails after `timeoutMs` naming `what`. */
async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the Kubernetes informer", { timeout: 120_000 }, () => {
  let target: KubeTarget;
  let core: CoreV1Api;
  let ns: string;
  const informers: Informer<V1ConfigMap>[] = [];

  before(async () => {
    // Time scale 0.01: the stand-in's bookmarks come every 600 ms instead of every minute.
    target = await kubeTarget({ standin: { runner: "process", timeScale: 0.01 }, namespacePrefix: "sluice-informer" });
    core = target.kubeConfig.makeApiClient(CoreV1Api);
    ns = target.namespace;
  });
  after(async () => {
    for (const informer of informers) informer.stop();
    await target?.close();
  });

  /**
   * ConfigMaps labelled `LABEL=group` in the suite's namespace, listed and watched with client-node.
   * `gate`, when set, holds each watch request until it resolves (so a test can act between two watches).
   */
  const configMaps = (group: string, gate?: () => Promise<void>): InformerSource<V1ConfigMap> & { queries: WatchQuery[] } => {
    const labelSelector = `${LABEL}=${group}`;
    const queries: WatchQuery[] = [];
    return {
      description: `ConfigMaps (${labelSelector})`,
      queries,
      async list() {
        const list = await core.listNamespacedConfigMap({ namespace: ns, labelSelector });
        return { items: list.items, resourceVersion: list.metadata!.resourceVersion! };
      },
      async watch(query, onEvent, onEnd) {
        await gate?.();
        queries.push(query);
        const controller = await new Watch(target.kubeConfig).watch(`/api/v1/namespaces/${ns}/configmaps`, { labelSelector, ...query }, onEvent, onEnd);
        return { abort: () => controller.abort() };
      },
    };
  };
  const start = async (source: InformerSource<V1ConfigMap>, options: InformerOptions = {}): Promise<Informer<V1ConfigMap>> => {
    const informer = new Informer(source, { backoffInitialMs: 50, backoffMaxMs: 500, ...options });
    informers.push(informer);
    await informer.start();
    return informer;
  };
  const create = (name: string, group: string, data: Record<string, string> = {}) =>
    core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name, labels: { [LABEL]: group } }, data } });
  const names = (informer: Informer<V1ConfigMap>): string[] =>
    informer
      .list()
      .map((c) => c.metadata!.name!)
      .sort();
  const dataOf = (informer: Informer<V1ConfigMap>, name: string) => informer.list().find((c) => c.metadata?.name === name)?.data;

  it("lists first, then follows ADDED, MODIFIED and DELETED, calling onChange", async () => {
    await create("before-a", "events");
    await create("before-b", "events");
    await create("other-group", "elsewhere");
    let changes = 0;
    const informer = await start(configMaps("events"), { onChange: () => (changes += 1) });
    assert.deepEqual(names(informer), ["before-a", "before-b"], "the first list, filtered by the label");
    assert.ok(changes >= 1, "the first list is a change");
    const afterList = changes;

    await create("added", "events", { v: "1" });
    await until("the ADDED ConfigMap", () => names(informer).includes("added"));
    await core.patchNamespacedConfigMap({ name: "added", namespace: ns, body: [{ op: "replace", path: "/data/v", value: "2" }] });
    await until("the MODIFIED data", () => dataOf(informer, "added")?.v === "2");
    await core.deleteNamespacedConfigMap({ name: "before-a", namespace: ns });
    await until("the DELETED ConfigMap to go", () => !names(informer).includes("before-a"));
    assert.deepEqual(names(informer), ["added", "before-b"]);
    assert.ok(changes >= afterList + 3, `onChange after each event (${changes - afterList} calls)`);
    assert.equal(informer.stats.lists, 1, "no second list");
    const version = Number(informer.resourceVersion);
    assert.ok(version >= Number(informer.list().find((c) => c.metadata?.name === "added")!.metadata!.resourceVersion), "resumes after the last event");
  });

  it("moves its resourceVersion on bookmarks when nothing it watches changes", async (t) => {
    if (!target.requireHooks(t, "needs bookmarks within seconds (the stand-in's time scale)")) return;
    const informer = await start(configMaps("quiet"));
    const listedAt = Number(informer.resourceVersion);
    await create("not-watched", "elsewhere");
    await until("a bookmark past the unwatched change", () => Number(informer.resourceVersion) > listedAt, 5_000);
    assert.deepEqual(names(informer), []);
    assert.equal(informer.stats.lists, 1);
  });

  it("resumes a watch the server ended from the last resourceVersion, without listing again", async () => {
    const source = configMaps("resume");
    const informer = await start(source, { watchTimeoutSeconds: 1 });
    await until("a second watch", () => informer.stats.watches >= 2, 10_000);
    await create("after-resume", "resume");
    await until("the ConfigMap created after the resume", () => names(informer).includes("after-resume"));
    assert.equal(informer.stats.lists, 1);
    assert.equal(informer.stats.expired, 0);
    for (const query of source.queries) {
      assert.equal(query.allowWatchBookmarks, true);
      assert.match(query.resourceVersion, /^\d+$/);
    }
    const versions = source.queries.map((q) => Number(q.resourceVersion));
    assert.deepEqual(
      [...versions].sort((a, b) => a - b),
      versions,
      "each watch resumes from where the last one got to",
    );
  });

  it("lists again after a 410 Expired, with nothing lost or kept twice", async (t) => {
    const hooks = target.requireHooks(t, "compacts the watch history");
    if (!hooks) return;
    await create("kept", "expiry", { v: "1" });
    await create("removed", "expiry");
    let open = true;
    let waiting = false;
    let release: () => void = () => undefined;
    // While closed, the next watch request waits: the changes below happen between two watches.
    const gate = () =>
      open
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            waiting = true;
            release = resolve;
          });
    const informer = await start(configMaps("expiry", gate), { watchTimeoutSeconds: 1 });
    open = false;
    await until("the first watch to end and the next one to wait", () => waiting, 10_000);
    await core.patchNamespacedConfigMap({ name: "kept", namespace: ns, body: [{ op: "replace", path: "/data/v", value: "2" }] });
    await core.deleteNamespacedConfigMap({ name: "removed", namespace: ns });
    await create("new", "expiry");
    hooks.compactWatchHistory();
    open = true;
    release();
    await until("a list after the 410", () => informer.stats.lists === 2, 10_000);
    assert.equal(informer.stats.expired, 1);
    assert.deepEqual(names(informer), ["kept", "new"]);
    assert.equal(dataOf(informer, "kept")?.v, "2");
    assert.equal(informer.list().length, 2, "each object once");
    await create("after-relist", "expiry");
    await until("the watch after the list", () => names(informer).includes("after-relist"));
    assert.equal(informer.stats.failures, 0, "a 410 is not a failure");
  });

  it("retries a refused watch after a back-off, listing again, and reports each refusal", async (t) => {
    const hooks = target.requireHooks(t, "refuses the watch verb");
    if (!hooks) return;
    const api = await KubernetesApi.connect({ kubeconfig: target.kubeconfigPath });
    const errors: unknown[] = [];
    const allow = hooks.deny("watch", "jobs", ns);
    const informer = new Informer(api.jobsSource(ns, LABEL), { backoffInitialMs: 50, backoffMaxMs: 200, onError: (e) => errors.push(e) });
    try {
      await informer.start();
      await until("two refused watches", () => errors.length >= 2);
      const [first] = errors;
      assert.ok(first instanceof KubernetesApiError, String(first));
      assert.equal(first.statusCode, 403);
      assert.match(first.message, new RegExp(`^watching Jobs \\(${LABEL}\\) in namespace ${ns} failed: .*HTTP 403`));
      assert.ok(informer.stats.lists >= 2, "each failed watch is followed by a list");
      allow();
      await target.kubeConfig.makeApiClient(BatchV1Api).createNamespacedJob({
        namespace: ns,
        body: {
          metadata: { name: "informed-job", labels: { [LABEL]: "yes" } },
          spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image: "sluice-test/never-pulled:1" }] } } },
        },
      });
      await until("the Job, once watching is allowed", () => informer.list().some((j) => j.metadata?.name === "informed-job"), 10_000);
      assert.equal(informer.lastError, undefined, "the error is cleared once watching works");
    } finally {
      allow();
      informer.stop();
    }
  });

  it("refuses options that are not positive numbers, naming the option", () => {
    assert.throws(() => new Informer(configMaps("none"), { backoffMaxMs: 0 }), /informer option backoffMaxMs must be a positive number of milliseconds, got 0/);
    assert.throws(
      () => new Informer(configMaps("none"), { watchTimeoutSeconds: Number.NaN }),
      /watchTimeoutSeconds must be a positive number of seconds, got NaN/,
    );
  });
});
