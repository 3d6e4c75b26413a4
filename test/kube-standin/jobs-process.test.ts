/**
 * The job controller and kubelet of the stand-in in process mode (containers run as local processes),
 * driven through the real @kubernetes/client-node: Jobs to completion and failure, logs, events, image
 * pull failures, OOM kills, eviction, deadlines, TTL, secrets in env, watches, informers, deletion.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { BatchV1Api, CoreV1Api, Log, makeInformer, Watch, type V1Job, type V1Pod } from "@kubernetes/client-node";
import { oomAfterAnnotation, startKubeStandin, type KubeObject, type KubeStandin } from "../support/kube/index.js";

const image = "node20-local:base";

function nodeJob(name: string, script: string, spec: Partial<NonNullable<V1Job["spec"]>> = {}, container: Record<string, unknown> = {}): V1Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, labels: { suite: "process" } },
    spec: {
      backoffLimit: 0,
      ...spec,
      template: {
        metadata: { labels: { app: "sluice-test" } },
        spec: { restartPolicy: "Never", containers: [{ name: "main", image, command: ["node", "-e", script], ...container }] },
        ...(spec.template ?? {}),
      },
    },
  };
}

function condition(j: KubeObject | undefined, type: string): { reason?: string; message?: string } | undefined {
  return j?.status?.conditions?.find((c: { type: string; status: string }) => c.type === type && c.status === "True");
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("kube stand-in jobs (process runner)", { timeout: 60_000 }, () => {
  let standin: KubeStandin;
  let batch: BatchV1Api;
  let core: CoreV1Api;
  const ns = "default";

  const jobNamed = (name: string) => standin.jobs(ns).find((j) => j.metadata.name === name);
  const podsOf = (name: string) => standin.pods(ns).filter((p) => p.metadata.labels?.["job-name"] === name);
  const waitJob = (name: string, type: "Complete" | "Failed", ms = 15_000) =>
    standin.waitFor(() => {
      const j = jobNamed(name);
      return condition(j, type) ? j : undefined;
    }, ms);

  before(async () => {
    standin = await startKubeStandin({ runner: "process", knownImages: [image], timeScale: 0.01 });
    assert.equal(standin.runner, "process");
    batch = standin.kubeConfig.makeApiClient(BatchV1Api);
    core = standin.kubeConfig.makeApiClient(CoreV1Api);
  });
  after(() => standin.close());

  it("runs a Job to Complete: pod Succeeded, logs served, events recorded", async () => {
    await batch.createNamespacedJob({ namespace: ns, body: nodeJob("hello", "console.log('hi'); console.error('to stderr')") });
    const done = await waitJob("hello", "Complete");
    assert.equal(done.status.succeeded, 1);
    assert.ok(done.status.completionTime && done.status.startTime);
    assert.equal(condition(done, "Complete")!.reason, "CompletionsReached");
    const job = await batch.readNamespacedJobStatus({ name: "hello", namespace: ns });
    assert.equal(job.status!.succeeded, 1);
    const pods = await core.listNamespacedPod({ namespace: ns, labelSelector: "job-name=hello" });
    assert.equal(pods.items.length, 1);
    const pod = pods.items[0]!;
    assert.match(pod.metadata!.name!, /^hello-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal(pod.status!.phase, "Succeeded");
    assert.equal(pod.metadata!.labels!["batch.kubernetes.io/job-name"], "hello");
    assert.equal(pod.metadata!.labels!["controller-uid"], job.metadata!.uid);
    assert.equal(pod.metadata!.labels!.app, "sluice-test");
    assert.deepEqual(
      pod.metadata!.ownerReferences!.map((r) => [r.kind, r.name, r.uid, r.controller]),
      [["Job", "hello", job.metadata!.uid, true]],
    );
    const term = pod.status!.containerStatuses![0]!.state!.terminated!;
    assert.equal(term.exitCode, 0);
    assert.equal(term.reason, "Completed");
    assert.ok(term.startedAt instanceof Date && term.finishedAt instanceof Date);
    const text = await core.readNamespacedPodLog({ name: pod.metadata!.name!, namespace: ns, container: "main" });
    assert.match(text, /^hi$/m);
    assert.match(text, /^to stderr$/m);
    const out = new PassThrough();
    let streamed = "";
    out.on("data", (c: Buffer) => {
      streamed += c.toString();
    });
    await new Log(standin.kubeConfig).log(ns, pod.metadata!.name!, "main", out, { follow: true, timestamps: true });
    await standin.waitFor(() => streamed.includes("hi"), 5_000);
    assert.match(streamed, /^\d{4}-\d\d-\d\dT[\d:.]+Z hi$/m);
    const reasons = (await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${pod.metadata!.name}` })).items.map((e) => e.reason);
    for (const r of ["Scheduled", "Pulled", "Created", "Started"]) assert.ok(reasons.includes(r), `event ${r} in ${reasons.join(",")}`);
    const jobEvents = (await core.listNamespacedEvent({ namespace: ns, fieldSelector: "involvedObject.kind=Job,involvedObject.name=hello" })).items.map(
      (e) => e.reason,
    );
    assert.deepEqual(jobEvents.sort(), ["Completed", "SuccessfulCreate"]);
  });

  it("follows logs while the container runs and ends the stream when it exits", async () => {
    await batch.createNamespacedJob({
      namespace: ns,
      body: nodeJob("follow", "let i = 0; const t = setInterval(() => { console.log('tick ' + i++); if (i === 4) clearInterval(t); }, 150)"),
    });
    const pod = await standin.waitFor(() => podsOf("follow").find((p) => p.status?.phase === "Running"));
    const out = new PassThrough();
    let text = "";
    out.on("data", (c: Buffer) => {
      text += c.toString();
    });
    const ended = new Promise<void>((resolve) => out.on("finish", resolve));
    await new Log(standin.kubeConfig).log(ns, pod.metadata.name!, "main", out, { follow: true });
    await ended;
    assert.deepEqual(text.trim().split("\n"), ["tick 0", "tick 1", "tick 2", "tick 3"]);
  });

  it("retries a failing container up to backoffLimit, then fails the Job with BackoffLimitExceeded", async () => {
    await batch.createNamespacedJob({ namespace: ns, body: nodeJob("fails", "process.exit(3)", { backoffLimit: 1 }) });
    const failed = await waitJob("fails", "Failed");
    assert.equal(condition(failed, "Failed")!.reason, "BackoffLimitExceeded");
    assert.equal(condition(failed, "Failed")!.message, "Job has reached the specified backoff limit");
    assert.equal(failed.status.failed, 2);
    const pods = podsOf("fails");
    assert.equal(pods.length, 2);
    for (const p of pods) {
      assert.equal(p.status.phase, "Failed");
      assert.equal(p.status.containerStatuses[0].state.terminated.exitCode, 3);
      assert.equal(p.status.containerStatuses[0].state.terminated.reason, "Error");
    }
  });

  it("reports a missing image as ErrImagePull then ImagePullBackOff, with the pod Pending", async () => {
    await batch.createNamespacedJob({ namespace: ns, body: nodeJob("noimage", "1", {}, { image: "registry.invalid/nothing:1" }) });
    const seen = new Set<string>();
    await standin.waitFor(() => {
      for (const p of podsOf("noimage")) {
        const w = p.status?.containerStatuses?.[0]?.state?.waiting;
        if (w) seen.add(w.reason);
        assert.equal(p.status?.phase, "Pending");
      }
      return seen.has("ErrImagePull") && seen.has("ImagePullBackOff");
    });
    const pod = podsOf("noimage")[0]!;
    const events = (await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${pod.metadata.name}` })).items;
    assert.ok(events.some((e) => e.reason === "Failed" && e.type === "Warning" && /Failed to pull image "registry.invalid\/nothing:1"/.test(e.message!)));
    assert.ok(events.some((e) => e.reason === "BackOff" && /Back-off pulling image/.test(e.message!)));
    const logErr = await core.readNamespacedPodLog({ name: pod.metadata.name!, namespace: ns }).catch((e: { code: number }) => e);
    assert.equal((logErr as { code: number }).code, 400);
    await batch.deleteNamespacedJob({ name: "noimage", namespace: ns, propagationPolicy: "Foreground" });
  });

  it("OOM-kills a container on request: exit code 137, reason OOMKilled", async () => {
    await batch.createNamespacedJob({ namespace: ns, body: nodeJob("oom", "setTimeout(() => {}, 60000)") });
    const pod = await standin.waitFor(() => podsOf("oom").find((p) => p.status?.phase === "Running"));
    await standin.oomKill(pod.metadata.name!);
    const failed = await waitJob("oom", "Failed");
    assert.equal(condition(failed, "Failed")!.reason, "BackoffLimitExceeded");
    const term = (await core.readNamespacedPod({ name: pod.metadata.name!, namespace: ns })).status!.containerStatuses![0]!.state!.terminated!;
    assert.equal(term.reason, "OOMKilled");
    assert.equal(term.exitCode, 137);
  });

  it("OOM-kills from the pod annotation set by the test", async () => {
    const body = nodeJob("oom-annotated", "setTimeout(() => {}, 60000)");
    body.spec!.template.metadata!.annotations = { [oomAfterAnnotation]: "100" };
    await batch.createNamespacedJob({ namespace: ns, body });
    await waitJob("oom-annotated", "Failed");
    assert.equal(podsOf("oom-annotated")[0]!.status.containerStatuses[0].state.terminated.reason, "OOMKilled");
  });

  it("evicts a pod: Failed/Evicted, and the Job replaces it", async () => {
    await batch.createNamespacedJob({ namespace: ns, body: nodeJob("evicted", "setTimeout(() => {}, 400)", { backoffLimit: 1 }) });
    const first = await standin.waitFor(() => podsOf("evicted").find((p) => p.status?.phase === "Running"));
    await standin.evict(first.metadata.name!);
    const evicted = await core.readNamespacedPod({ name: first.metadata.name!, namespace: ns });
    assert.equal(evicted.status!.phase, "Failed");
    assert.equal(evicted.status!.reason, "Evicted");
    assert.match(evicted.status!.message!, /low on resource/);
    assert.ok(evicted.status!.conditions!.some((c) => c.type === "DisruptionTarget" && c.status === "True"));
    const done = await waitJob("evicted", "Complete");
    assert.equal(done.status.failed, 1);
    assert.equal(done.status.succeeded, 1);
    assert.equal(podsOf("evicted").length, 2);
  });

  it("counts a pod deleted from under a Job as failed and makes a new one", async () => {
    await batch.createNamespacedJob({ namespace: ns, body: nodeJob("replaced", "setTimeout(() => {}, 60000)", { backoffLimit: 2 }) });
    const first = await standin.waitFor(() => podsOf("replaced").find((p) => p.status?.phase === "Running"));
    await core.deleteNamespacedPod({ name: first.metadata.name!, namespace: ns });
    const second = await standin.waitFor(() => podsOf("replaced").find((p) => p.metadata.uid !== first.metadata.uid && p.status?.phase === "Running"));
    assert.ok(second);
    await standin.waitFor(() => !podsOf("replaced").some((p) => p.metadata.uid === first.metadata.uid) && jobNamed("replaced")?.status?.failed === 1);
    await batch.deleteNamespacedJob({ name: "replaced", namespace: ns, propagationPolicy: "Background" });
    await standin.waitFor(() => podsOf("replaced").length === 0);
  });

  it("deletes a Job with Foreground propagation: pods removed and their processes stopped first", async () => {
    await batch.createNamespacedJob({ namespace: ns, body: nodeJob("foreground", "console.log('pid=' + process.pid); setInterval(() => {}, 1000)") });
    const pod = await standin.waitFor(() => podsOf("foreground").find((p) => p.status?.phase === "Running"));
    const pidText = await standin.waitFor(() => /pid=(\d+)/.exec(standin.logs(pod.metadata.name!))?.[1]);
    const pid = Number(pidText);
    assert.ok(isAlive(pid));
    const answer = await batch.deleteNamespacedJob({ name: "foreground", namespace: ns, propagationPolicy: "Foreground" });
    assert.ok(answer);
    const during = jobNamed("foreground");
    assert.ok(during?.metadata.deletionTimestamp, "the Job waits for its pods");
    assert.deepEqual(during?.metadata.finalizers, ["foregroundDeletion"]);
    await standin.waitFor(() => !jobNamed("foreground"));
    assert.equal(podsOf("foreground").length, 0);
    assert.equal(isAlive(pid), false, "the pod's process was stopped");
  });

  it("resolves env from secretKeyRef, and reports CreateContainerConfigError until the secret exists", async () => {
    const body = nodeJob(
      "secret-env",
      "console.log('token=' + process.env.TOKEN + ' plain=' + process.env.PLAIN)",
      {},
      {
        env: [
          { name: "PLAIN", value: "p-$(TOKEN)" },
          { name: "TOKEN", valueFrom: { secretKeyRef: { name: "api-token", key: "token" } } },
        ],
      },
    );
    await batch.createNamespacedJob({ namespace: ns, body });
    const waiting = await standin.waitFor(() => {
      const w = podsOf("secret-env")[0]?.status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === "CreateContainerConfigError" ? w : undefined;
    });
    assert.equal(waiting.message, 'secret "api-token" not found');
    await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: "api-token" }, data: { other: Buffer.from("x").toString("base64") } } });
    await standin.waitFor(
      () => podsOf("secret-env")[0]?.status?.containerStatuses?.[0]?.state?.waiting?.message === "couldn't find key token in Secret default/api-token",
    );
    await core.replaceNamespacedSecret({ name: "api-token", namespace: ns, body: { metadata: { name: "api-token" }, stringData: { token: "s3cret" } } });
    await waitJob("secret-env", "Complete");
    assert.match(standin.logs(podsOf("secret-env")[0]!.metadata.name!), /token=s3cret plain=p-\$\(TOKEN\)/);
  });

  it("fails a Job past activeDeadlineSeconds with DeadlineExceeded, and deletes finished Jobs after their TTL", async () => {
    await batch.createNamespacedJob({
      namespace: ns,
      body: nodeJob("deadline", "setTimeout(() => {}, 60000)", { activeDeadlineSeconds: 1, ttlSecondsAfterFinished: 1 }),
    });
    const failed = await waitJob("deadline", "Failed", 5_000);
    assert.equal(condition(failed, "Failed")!.reason, "DeadlineExceeded");
    assert.equal(condition(failed, "Failed")!.message, "Job was active longer than specified deadline");
    await standin.waitFor(() => !jobNamed("deadline") && podsOf("deadline").length === 0, 5_000);
  });

  it("restarts an OnFailure container in place (CrashLoopBackOff), counting restarts against backoffLimit", async () => {
    const body = nodeJob("onfailure", "console.log('attempt'); process.exit(1)", { backoffLimit: 2 });
    body.spec!.template.spec!.restartPolicy = "OnFailure";
    await batch.createNamespacedJob({ namespace: ns, body });
    const podUids = new Set<string>();
    const restarted = await standin.waitFor(() => {
      for (const p of podsOf("onfailure")) podUids.add(p.metadata.uid!);
      const p = podsOf("onfailure")[0];
      const cs = p?.status?.containerStatuses?.[0];
      return cs?.restartCount >= 1 && cs.state.waiting?.reason === "CrashLoopBackOff" ? p : undefined;
    });
    assert.match(restarted.status.containerStatuses[0].state.waiting.message, /^back-off \d+s restarting failed container=main pod=onfailure-/);
    assert.equal(restarted.status.containerStatuses[0].lastState.terminated.exitCode, 1);
    const previous = await core.readNamespacedPodLog({ name: restarted.metadata.name!, namespace: ns, previous: true });
    assert.match(previous, /attempt/);
    const failed = await standin.waitFor(() => {
      for (const p of podsOf("onfailure")) podUids.add(p.metadata.uid!);
      return condition(jobNamed("onfailure"), "Failed");
    });
    assert.equal(failed.reason, "BackoffLimitExceeded");
    assert.equal(podUids.size, 1, "OnFailure restarts in the same pod");
  });

  it("reports an executable that does not exist as StartError, exit code 128", async () => {
    await batch.createNamespacedJob({ namespace: ns, body: nodeJob("nocmd", "", {}, { command: ["/no/such/binary"] }) });
    await waitJob("nocmd", "Failed");
    const term = podsOf("nocmd")[0]!.status.containerStatuses[0].state.terminated;
    assert.equal(term.reason, "StartError");
    assert.equal(term.exitCode, 128);
  });

  it("runs completions with parallelism: two pods succeed and the Job counts both", async () => {
    await batch.createNamespacedJob({
      namespace: ns,
      body: nodeJob("twice", "setTimeout(() => console.log('done'), 200)", { completions: 2, parallelism: 2 }),
    });
    const running = await standin.waitFor(() => (jobNamed("twice")?.status?.active === 2 ? jobNamed("twice") : undefined));
    assert.equal(running.status.active, 2);
    const done = await waitJob("twice", "Complete");
    assert.equal(done.status.succeeded, 2);
    assert.equal(podsOf("twice").filter((p) => p.status.phase === "Succeeded").length, 2);
  });

  it("orphans a Job's pods when deleted with propagationPolicy Orphan", async () => {
    await batch.createNamespacedJob({ namespace: ns, body: nodeJob("orphan", "setInterval(() => {}, 1000)") });
    const pod = await standin.waitFor(() => podsOf("orphan").find((p) => p.status?.phase === "Running"));
    await batch.deleteNamespacedJob({ name: "orphan", namespace: ns, propagationPolicy: "Orphan" });
    await standin.waitFor(() => !jobNamed("orphan"));
    const left = await core.readNamespacedPod({ name: pod.metadata.name!, namespace: ns });
    assert.equal(left.status!.phase, "Running");
    assert.equal(left.metadata!.ownerReferences, undefined);
    await core.deleteNamespacedPod({ name: pod.metadata.name!, namespace: ns, gracePeriodSeconds: 0 });
    await standin.waitFor(() => podsOf("orphan").length === 0);
  });

  it("runs every container of a pod; logs of a multi-container pod need a container name", async () => {
    await core.createNamespacedPod({
      namespace: ns,
      body: {
        metadata: { name: "two-containers" },
        spec: {
          restartPolicy: "Never",
          containers: [
            { name: "app", image, command: ["node", "-e", "console.log('app ran')"] },
            { name: "sidecar", image, command: ["node", "-e", "console.log('sidecar ran')"] },
          ],
        },
      },
    });
    await standin.waitFor(() => standin.pods(ns).find((p) => p.metadata.name === "two-containers" && p.status?.phase === "Succeeded"));
    assert.match(await core.readNamespacedPodLog({ name: "two-containers", namespace: ns, container: "sidecar" }), /sidecar ran/);
    assert.match(await core.readNamespacedPodLog({ name: "two-containers", namespace: ns, container: "app" }), /app ran/);
    const err = await core.readNamespacedPodLog({ name: "two-containers", namespace: ns }).catch((e: { code: number }) => e);
    assert.equal((err as { code: number }).code, 400);
    await core.deleteNamespacedPod({ name: "two-containers", namespace: ns });
    await standin.waitFor(() => !standin.pods(ns).some((p) => p.metadata.name === "two-containers"));
  });

  it("runs init containers in order before the containers, and fails the pod when one fails", async () => {
    const pod = (name: string, initScript: string) => ({
      metadata: { name },
      spec: {
        restartPolicy: "Never",
        initContainers: [{ name: "prepare", image, command: ["node", "-e", initScript] }],
        containers: [{ name: "main", image, command: ["node", "-e", "console.log('main ran')"] }],
      },
    });
    await core.createNamespacedPod({ namespace: ns, body: pod("with-init", "console.log('init ran')") });
    const waiting = await standin.waitFor(() => standin.pods(ns).find((p) => p.metadata.name === "with-init")?.status?.containerStatuses?.[0]?.state?.waiting);
    assert.equal(waiting.reason, "PodInitializing");
    const ok = await standin.waitFor(() => standin.pods(ns).find((p) => p.metadata.name === "with-init" && p.status?.phase === "Succeeded"));
    assert.equal(ok.status.initContainerStatuses[0].state.terminated.reason, "Completed");
    assert.match(standin.logs("with-init", { container: "prepare" }), /init ran/);
    assert.match(standin.logs("with-init", { container: "main" }), /main ran/);
    await core.createNamespacedPod({ namespace: ns, body: pod("init-fails", "process.exit(2)") });
    const failed = await standin.waitFor(() => standin.pods(ns).find((p) => p.metadata.name === "init-fails" && p.status?.phase === "Failed"));
    assert.equal(failed.status.initContainerStatuses[0].state.terminated.exitCode, 2);
    assert.equal(failed.status.containerStatuses[0].state.waiting.reason, "PodInitializing");
    for (const name of ["with-init", "init-fails"]) await core.deleteNamespacedPod({ name, namespace: ns, gracePeriodSeconds: 0 });
  });

  it("streams watch events ADDED / MODIFIED / DELETED to client-node's Watch, resumable by resourceVersion", async () => {
    const events: [string, string | undefined][] = [];
    const list = await core.listNamespacedPod({ namespace: ns });
    const controller = await new Watch(standin.kubeConfig).watch(
      `/api/v1/namespaces/${ns}/pods`,
      { labelSelector: "job-name=watched", resourceVersion: list.metadata!.resourceVersion },
      (type: string, obj: V1Pod) => events.push([type, obj.status?.phase]),
      () => {},
    );
    await batch.createNamespacedJob({ namespace: ns, body: nodeJob("watched", "console.log(1)") });
    await waitJob("watched", "Complete");
    await batch.deleteNamespacedJob({ name: "watched", namespace: ns, propagationPolicy: "Background" });
    await standin.waitFor(() => events.some(([t]) => t === "DELETED"));
    controller.abort();
    assert.equal(events[0]![0], "ADDED");
    assert.equal(events[0]![1], "Pending");
    assert.ok(events.some(([t, p]) => t === "MODIFIED" && p === "Running"));
    assert.ok(events.some(([t, p]) => t === "MODIFIED" && p === "Succeeded"));
    assert.equal(events[events.length - 1]![0], "DELETED");
  });

  it("feeds makeInformer (list + watch) with add and update callbacks", async () => {
    const informer = makeInformer(
      standin.kubeConfig,
      `/apis/batch/v1/namespaces/${ns}/jobs`,
      () => batch.listNamespacedJob({ namespace: ns, labelSelector: "informed=yes" }),
      "informed=yes",
    );
    const added: string[] = [];
    const completed: string[] = [];
    informer.on("add", (j: V1Job) => added.push(j.metadata!.name!));
    informer.on("update", (j: V1Job) => {
      if (j.status?.conditions?.some((c) => c.type === "Complete")) completed.push(j.metadata!.name!);
    });
    await informer.start();
    const body = nodeJob("informed", "1");
    body.metadata!.labels = { informed: "yes" };
    await batch.createNamespacedJob({ namespace: ns, body });
    await standin.waitFor(() => completed.includes("informed"));
    await informer.stop();
    assert.deepEqual(added, ["informed"]);
  });
});

describe("kube stand-in close() (process runner)", { timeout: 20_000 }, () => {
  it("stops every process it started and the HTTP server", async () => {
    const standin = await startKubeStandin({ runner: "process" });
    const batch = standin.kubeConfig.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace: "default", body: nodeJob("lingering", "console.log('pid=' + process.pid); setInterval(() => {}, 1000)") });
    const pod = await standin.waitFor(() => standin.pods().find((p) => p.status?.phase === "Running"));
    const pid = Number(await standin.waitFor(() => /pid=(\d+)/.exec(standin.logs(pod.metadata.name!))?.[1]));
    assert.ok(isAlive(pid));
    await standin.close();
    assert.equal(isAlive(pid), false, "the process is gone after close()");
    await assert.rejects(fetch(`${standin.url}/version`));
  });
});
