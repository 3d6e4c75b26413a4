/**
 * Watches served the way the API server serves them, read by the real @kubernetes/client-node 1.x:
 * `?watch=1&resourceVersion=N&allowWatchBookmarks=true` streams ADDED / MODIFIED / DELETED / BOOKMARK as
 * JSON lines for jobs, pods and events (events without BOOKMARK, as they are watched from etcd); a
 * too-old resourceVersion gets an ERROR event with a 410 Expired Status; `timeoutSeconds` closes the stream; `makeInformer` lists, watches, and lists again after a 410.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { BatchV1Api, CoreV1Api, makeInformer, Watch, type CoreV1Event, type V1Job, type V1JobList } from "@kubernetes/client-node";
import { startKubeStandin, type KubeStandin } from "../support/kube/index.js";

const image = "node20-local:base";
const ns = "default";

function job(name: string, script = "1"): V1Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, labels: { watched: "yes" } },
    spec: { backoffLimit: 0, template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image, command: ["node", "-e", script] }] } } },
  };
}

interface WatchLine {
  type: string;
  object: { kind?: string; apiVersion?: string; code?: number; reason?: string; message?: string; metadata?: { name?: string; resourceVersion?: string } };
}

/** Reads a raw watch response to its end (or `untilMs`), line by line. */
async function readWatch(url: string, untilMs = 10_000): Promise<{ lines: WatchLine[]; endedAfterMs: number }> {
  const started = Date.now();
  const res = await fetch(url, { signal: AbortSignal.timeout(untilMs) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  const text = await res.text();
  return {
    lines: text
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as WatchLine),
    endedAfterMs: Date.now() - started,
  };
}

describe("kube stand-in watches", { timeout: 60_000 }, () => {
  let standin: KubeStandin;
  let batch: BatchV1Api;
  let core: CoreV1Api;

  before(async () => {
    // Time scale 0.01: bookmarks every 600 ms instead of every minute.
    standin = await startKubeStandin({ runner: "process", knownImages: [image], timeScale: 0.01 });
    batch = standin.kubeConfig.makeApiClient(BatchV1Api);
    core = standin.kubeConfig.makeApiClient(CoreV1Api);
  });
  after(() => standin.close());

  it("streams ADDED, MODIFIED, DELETED and BOOKMARK lines from a resourceVersion, and closes at timeoutSeconds", async () => {
    const rv = (await batch.listNamespacedJob({ namespace: ns })).metadata!.resourceVersion!;
    const reading = readWatch(
      `${standin.url}/apis/batch/v1/namespaces/${ns}/jobs?watch=1&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=2&labelSelector=watched%3Dyes`,
    );
    await batch.createNamespacedJob({ namespace: ns, body: job("raw-watch") });
    await standin.waitFor(() => standin.jobs(ns).find((j) => j.metadata.name === "raw-watch" && j.status?.succeeded === 1));
    await batch.deleteNamespacedJob({ name: "raw-watch", namespace: ns, propagationPolicy: "Background" });
    const { lines, endedAfterMs } = await reading;
    const types = lines.map((l) => l.type);
    assert.equal(types[0], "ADDED");
    assert.ok(types.includes("MODIFIED"));
    assert.ok(types.includes("DELETED"));
    assert.ok(endedAfterMs >= 1_900, `the stream stays open until timeoutSeconds (${endedAfterMs} ms)`);
    const bookmarks = lines.filter((l) => l.type === "BOOKMARK");
    assert.ok(bookmarks.length >= 1, `bookmarks in ${types.join(",")}`);
    for (const b of bookmarks) {
      assert.equal(b.object.kind, "Job");
      assert.equal(b.object.apiVersion, "batch/v1");
      assert.match(b.object.metadata!.resourceVersion!, /^\d+$/);
      assert.deepEqual(Object.keys(b.object.metadata!), ["resourceVersion"]);
    }
    const last = lines[lines.length - 1]!;
    assert.equal(last.type, "BOOKMARK", "a last bookmark before the timeout closes the stream");
    const rvs = lines.map((l) => Number(l.object.metadata!.resourceVersion));
    assert.deepEqual(
      [...rvs].sort((a, b) => a - b),
      rvs,
      "resourceVersions only grow along the stream",
    );
  });

  it("sends no bookmark unless allowWatchBookmarks is set", async () => {
    const rv = (await core.listNamespacedPod({ namespace: ns })).metadata!.resourceVersion!;
    const { lines } = await readWatch(`${standin.url}/api/v1/namespaces/${ns}/pods?watch=true&resourceVersion=${rv}&timeoutSeconds=1`);
    assert.deepEqual(
      lines.filter((l) => l.type === "BOOKMARK"),
      [],
    );
  });

  it("answers a too-old resourceVersion with an ERROR event holding a 410 Expired Status, then closes", async () => {
    const old = (await core.listNamespacedConfigMap({ namespace: ns })).metadata!.resourceVersion!;
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: "after-old-rv" } } });
    standin.compactWatchHistory();
    const { lines } = await readWatch(`${standin.url}/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${old}&allowWatchBookmarks=true`);
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line!.type, "ERROR");
    assert.equal(line!.object.kind, "Status");
    assert.equal(line!.object.code, 410);
    assert.equal(line!.object.reason, "Expired");
    assert.match(line!.object.message!, new RegExp(`^too old resource version: ${old} \\(\\d+\\)$`));
    // A watch from a resourceVersion after the compaction resumes normally.
    const fresh = (await core.listNamespacedConfigMap({ namespace: ns })).metadata!.resourceVersion!;
    const ok = await readWatch(`${standin.url}/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${fresh}&timeoutSeconds=1`);
    assert.deepEqual(
      ok.lines.filter((l) => l.type === "ERROR"),
      [],
    );
  });

  it("keeps a bounded history: past the limit, an old resourceVersion is 410 too", async () => {
    const small = await startKubeStandin({ runner: "process", watchHistoryLimit: 5 });
    try {
      const c = small.kubeConfig.makeApiClient(CoreV1Api);
      const old = (await c.listNamespacedConfigMap({ namespace: ns })).metadata!.resourceVersion!;
      for (let i = 0; i < 8; i++) await c.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `cm-${i}` } } });
      const { lines } = await readWatch(`${small.url}/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${old}`);
      assert.equal(lines[0]!.type, "ERROR");
      assert.equal(lines[0]!.object.code, 410);
      const recent = String(Number(old) + 6);
      const resumed = await readWatch(`${small.url}/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=${recent}&timeoutSeconds=1`);
      assert.deepEqual(
        resumed.lines.map((l) => l.object.metadata!.name),
        ["cm-6", "cm-7"],
      );
    } finally {
      await small.close();
    }
  });

  it("serves client-node's Watch on events from etcd as a real server does: no bookmark, and etcd's 410 as an ERROR with code 410", async () => {
    const seen: [string, string | undefined][] = [];
    const rv = (await core.listNamespacedEvent({ namespace: ns })).metadata!.resourceVersion!;
    const done = new Promise<unknown>((resolve) => {
      void new Watch(standin.kubeConfig).watch(
        `/api/v1/namespaces/${ns}/events`,
        { resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: 3 },
        (type: string, obj: CoreV1Event) => seen.push([type, obj.reason]),
        resolve,
      );
    });
    await batch.createNamespacedJob({ namespace: ns, body: job("event-watch") });
    await standin.waitFor(() => seen.some(([t, r]) => t === "ADDED" && r === "Completed"));
    for (const reason of ["SuccessfulCreate", "Scheduled", "Pulled", "Started"])
      assert.ok(
        seen.some(([t, r]) => t === "ADDED" && r === reason),
        reason,
      );
    assert.equal(await done, null, "the server closed the stream at timeoutSeconds");
    // The events' watch cache is off on a real API server: etcd sends no bookmark, though they were allowed.
    assert.deepEqual(
      seen.filter(([t]) => t === "BOOKMARK"),
      [],
    );

    standin.compactWatchHistory();
    const errors: { code?: number; reason?: string; message?: string }[] = [];
    const ended = new Promise<unknown>((resolve) => {
      void new Watch(standin.kubeConfig).watch(
        `/api/v1/namespaces/${ns}/events`,
        { resourceVersion: rv },
        (type: string, obj: { code?: number; reason?: string }) => {
          if (type === "ERROR") errors.push(obj);
        },
        resolve,
      );
    });
    await ended;
    assert.deepEqual(
      errors.map((e) => [e.code, e.reason, e.message]),
      [[410, "Expired", "The resourceVersion for the provided watch is too old."]],
    );
  });

  it("feeds makeInformer, which lists again after a 410 and keeps its cache right", async () => {
    let lists = 0;
    let staleRv: string | undefined = (await batch.listNamespacedJob({ namespace: ns })).metadata!.resourceVersion!;
    await batch.createNamespacedJob({ namespace: ns, body: job("informed-before") });
    standin.compactWatchHistory();
    // The first list answers with a resourceVersion from before the compaction, as a list served from a
    // stale cache would: the watch from it gets 410, and the informer must list again.
    const listFn = async (): Promise<V1JobList> => {
      lists += 1;
      const list = await batch.listNamespacedJob({ namespace: ns, labelSelector: "watched=yes" });
      if (staleRv) {
        list.metadata = { ...list.metadata, resourceVersion: staleRv };
        staleRv = undefined;
      }
      return list;
    };
    const informer = makeInformer(standin.kubeConfig, `/apis/batch/v1/namespaces/${ns}/jobs`, listFn, "watched=yes");
    const errors: unknown[] = [];
    informer.on("error", (e) => errors.push(e));
    await informer.start();
    await standin.waitFor(() => lists >= 2, 10_000);
    await batch.createNamespacedJob({ namespace: ns, body: job("informed-after") });
    await standin.waitFor(() => informer.list(ns).some((j) => j.metadata?.name === "informed-after" && j.status?.succeeded === 1), 15_000);
    assert.ok(informer.list(ns).some((j) => j.metadata?.name === "informed-before"));
    assert.deepEqual(errors, [], "a 410 is not an error for the informer: it lists again");
    await informer.stop();
  });
});
