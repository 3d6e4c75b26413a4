/**
 * The stand-in behaves as a v1.28 control plane's components do, seen through the real
 * @kubernetes/client-node: events worded and timed as the scheduler and the kubelet record them, and a Job
 * controller with Kubernetes' back-off, default backoffLimit, pod failure policy and deadlines.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { BatchV1Api, CoreV1Api, Watch, type V1Job } from "@kubernetes/client-node";
import { jobBackoffDelayMs, realJobBackoff, startKubeStandin, type KubeObject, type KubeStandin } from "../support/kube/index.js";

const image = "node20-local:base";
const ns = "default";

function nodeJob(name: string, script: string, spec: Partial<NonNullable<V1Job["spec"]>> = {}): V1Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name },
    spec: {
      ...spec,
      template: { spec: { restartPolicy: "Never", containers: [{ name: "main", image, command: ["node", "-e", script] }] } },
    },
  };
}

const conditionOf = (j: KubeObject | undefined, type: string): { reason?: string; message?: string } | undefined =>
  j?.status?.conditions?.find((c: { type: string; status: string }) => c.type === type && c.status === "True");

interface RawEvent {
  reason: string;
  eventTime: string | null;
  firstTimestamp: string | null;
  lastTimestamp: string | null;
  source: { component?: string; host?: string };
  reportingComponent?: string;
  reportingInstance?: string;
  action?: string;
  count?: number;
}

describe("kube stand-in: events as the real components record them", { timeout: 30_000 }, () => {
  let standin: KubeStandin;
  before(async () => {
    standin = await startKubeStandin({ runner: "process", knownImages: [image], timeScale: 0.01 });
  });
  after(() => standin.close());

  it("scheduler events: no first/last timestamp, a microsecond eventTime, action Binding; kubelet events: second precision, no eventTime", async () => {
    const batch = standin.kubeConfig.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace: ns, body: nodeJob("evented", "console.log('hi')", { backoffLimit: 0 }) });
    const done = await standin.waitFor(() =>
      conditionOf(
        standin.jobs(ns).find((j) => j.metadata.name === "evented"),
        "Complete",
      ),
    );
    assert.ok(done);
    const pod = standin.pods(ns).find((p) => p.metadata.labels?.["job-name"] === "evented")!;
    // Raw JSON, as the server sends it (the client turns times into Dates and drops the microseconds).
    const res = await fetch(`${standin.url}/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${pod.metadata.name}`)}`);
    const events = ((await res.json()) as { items: RawEvent[] }).items;
    const scheduled = events.find((e) => e.reason === "Scheduled")!;
    assert.ok(scheduled, `a Scheduled event among ${events.map((e) => e.reason).join(",")}`);
    assert.equal(scheduled.lastTimestamp, null);
    assert.equal(scheduled.firstTimestamp, null);
    assert.match(scheduled.eventTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(scheduled.reportingComponent, "default-scheduler");
    assert.match(scheduled.reportingInstance!, /^default-scheduler-/);
    assert.equal(scheduled.action, "Binding");
    assert.deepEqual(scheduled.source, {});
    for (const reason of ["Pulled", "Created", "Started"]) {
      const e = events.find((x) => x.reason === reason)!;
      assert.ok(e, `a ${reason} event`);
      assert.equal(e.eventTime, null, reason);
      assert.match(e.firstTimestamp!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, reason);
      assert.match(e.lastTimestamp!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, reason);
      assert.equal(e.source.component, "kubelet");
      assert.equal(e.source.host, "kube-standin-node");
      assert.equal(e.reportingComponent, "kubelet");
      assert.equal(e.count, 1);
    }
    // So a kubelet event in the same second as the scheduling carries an earlier time (whole seconds)
    // than the scheduler's event (microseconds): ordering by time alone can put Pulled before Scheduled.
    const core = standin.kubeConfig.makeApiClient(CoreV1Api);
    const typed = (await core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${pod.metadata.name}` })).items;
    const typedScheduled = typed.find((e) => e.reason === "Scheduled")!;
    assert.equal(typedScheduled.lastTimestamp ?? null, null, "client-node sees no lastTimestamp on a scheduler event");
    assert.ok(typedScheduled.eventTime, "client-node reads the eventTime");
    const jobEvents = (await fetch(`${standin.url}/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent("involvedObject.name=evented")}`).then(
      (r) => r.json(),
    )) as { items: RawEvent[] };
    for (const e of jobEvents.items) {
      assert.equal(e.source.component, "job-controller");
      assert.equal(e.eventTime, null);
      assert.match(e.lastTimestamp!, /:\d\dZ$/);
    }
  });
});

describe("kube stand-in: the Job controller as Kubernetes runs it", { timeout: 60_000 }, () => {
  let standin: KubeStandin;
  let batch: BatchV1Api;
  const jobNamed = (name: string) => standin.jobs(ns).find((j) => j.metadata.name === name);
  const podsOf = (name: string) => standin.pods(ns).filter((p) => p.metadata.labels?.["job-name"] === name);

  before(async () => {
    standin = await startKubeStandin({ runner: "process", knownImages: [image], timeScale: 0.01 });
    batch = standin.kubeConfig.makeApiClient(BatchV1Api);
  });
  after(() => standin.close());

  it("computes Kubernetes' back-off: 10 s doubling per failure, capped at 6 min, times the scale", () => {
    const seconds = [1, 2, 3, 4, 5, 6, 7, 12].map((n) => jobBackoffDelayMs(n, realJobBackoff) / 1000);
    assert.deepEqual(seconds, [10, 20, 40, 80, 160, 320, 360, 360]);
    assert.equal(jobBackoffDelayMs(0, realJobBackoff), 0);
    assert.equal(jobBackoffDelayMs(1, realJobBackoff, 0.01), 100);
  });

  it("defaults backoffLimit to 6, and replaces each failed pod after a doubling back-off until BackoffLimitExceeded", async () => {
    const created = await batch.createNamespacedJob({ namespace: ns, body: nodeJob("default-limit", "1", { suspend: true }) });
    assert.equal(created.spec!.backoffLimit, 6);
    await batch.deleteNamespacedJob({ name: "default-limit", namespace: ns, propagationPolicy: "Background" });

    const added: number[] = [];
    const list = await standin.kubeConfig.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: ns });
    const watch = await new Watch(standin.kubeConfig).watch(
      `/api/v1/namespaces/${ns}/pods`,
      { labelSelector: "job-name=backing-off", resourceVersion: list.metadata!.resourceVersion },
      (type: string) => {
        if (type === "ADDED") added.push(Date.now());
      },
      () => {},
    );
    await batch.createNamespacedJob({ namespace: ns, body: nodeJob("backing-off", "process.exit(1)", { backoffLimit: 2 }) });
    const failed = await standin.waitFor(() => conditionOf(jobNamed("backing-off"), "Failed"), 20_000);
    watch.abort();
    assert.equal(failed.reason, "BackoffLimitExceeded");
    assert.equal(failed.message, "Job has reached the specified backoff limit");
    assert.equal(jobNamed("backing-off")!.status.failed, 3);
    assert.equal(added.length, 3);
    // 10 s and 20 s at scale 0.01 (each counted from when the failure was seen, so at least that long).
    assert.ok(added[1]! - added[0]! >= 100, `first back-off ${added[1]! - added[0]!} ms`);
    assert.ok(added[2]! - added[1]! >= 200, `second back-off ${added[2]! - added[1]!} ms`);
  });

  it("fails the Job at once on a FailJob rule of its podFailurePolicy, with reason PodFailurePolicy", async () => {
    await batch.createNamespacedJob({
      namespace: ns,
      body: nodeJob("policy-fail", "process.exit(42)", {
        backoffLimit: 6,
        podFailurePolicy: { rules: [{ action: "FailJob", onExitCodes: { containerName: "main", operator: "In", values: [42] } }] },
      }),
    });
    const failed = await standin.waitFor(() => conditionOf(jobNamed("policy-fail"), "Failed"));
    const pod = podsOf("policy-fail")[0]!;
    assert.equal(failed.reason, "PodFailurePolicy");
    assert.equal(failed.message, `Container main for pod ${ns}/${pod.metadata.name} failed with exit code 42 matching FailJob rule at index 0`);
    assert.ok(conditionOf(jobNamed("policy-fail"), "FailureTarget"), "FailureTarget comes with Failed");
    assert.equal(podsOf("policy-fail").length, 1, "no retry despite backoffLimit 6");
  });

  it("does not count a pod failure an Ignore rule matches (an evicted pod) against backoffLimit", async () => {
    await batch.createNamespacedJob({
      namespace: ns,
      body: nodeJob("policy-ignore", "setTimeout(() => {}, 400)", {
        backoffLimit: 0,
        podFailurePolicy: { rules: [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }] },
      }),
    });
    const first = await standin.waitFor(() => podsOf("policy-ignore").find((p) => p.status?.phase === "Running"));
    await standin.evict(first.metadata.name!);
    const done = await standin.waitFor(() => (conditionOf(jobNamed("policy-ignore"), "Complete") ? jobNamed("policy-ignore") : undefined), 15_000);
    assert.equal(done.status.failed, 0);
    assert.equal(done.status.succeeded, 1);
    assert.equal(podsOf("policy-ignore").length, 2);
  });

  it("counts a failure no rule matches, as without a policy", async () => {
    await batch.createNamespacedJob({
      namespace: ns,
      body: nodeJob("policy-count", "process.exit(3)", {
        backoffLimit: 0,
        podFailurePolicy: { rules: [{ action: "FailJob", onExitCodes: { operator: "In", values: [42] } }] },
      }),
    });
    const failed = await standin.waitFor(() => conditionOf(jobNamed("policy-count"), "Failed"));
    assert.equal(failed.reason, "BackoffLimitExceeded");
  });

  it("fails a Job with activeDeadlineSeconds 0 at once with DeadlineExceeded", async () => {
    await batch.createNamespacedJob({ namespace: ns, body: nodeJob("deadline-zero", "setTimeout(() => {}, 60000)", { activeDeadlineSeconds: 0 }) });
    const failed = await standin.waitFor(() => conditionOf(jobNamed("deadline-zero"), "Failed"));
    assert.equal(failed.reason, "DeadlineExceeded");
    await standin.waitFor(() => podsOf("deadline-zero").every((p) => Boolean(p.metadata.deletionTimestamp) || p.status?.phase !== "Running"));
  });

  it("deletes a finished Job after ttlSecondsAfterFinished, its pods first", async () => {
    await batch.createNamespacedJob({ namespace: ns, body: nodeJob("ttl", "1", { backoffLimit: 0, ttlSecondsAfterFinished: 0 }) });
    await standin.waitFor(() => (!jobNamed("ttl") && podsOf("ttl").length === 0 ? true : undefined));
  });
});

describe("kube stand-in: Kubernetes' back-off at the default time scale", { timeout: 30_000 }, () => {
  it("waits 10 s before replacing a failed pod when no time scale is set", async () => {
    const standin = await startKubeStandin({ runner: "process", knownImages: [image] });
    try {
      assert.equal(standin.hooks.timeScale, 1);
      const batch = standin.kubeConfig.makeApiClient(BatchV1Api);
      await batch.createNamespacedJob({ namespace: ns, body: nodeJob("slow-retry", "process.exit(1)", { backoffLimit: 1 }) });
      await standin.waitFor(() => standin.jobs(ns).find((j) => j.status?.failed === 1));
      await new Promise((r) => setTimeout(r, 2_000));
      assert.equal(standin.pods(ns).length, 1, "no replacement pod within 2 s of the failure");
      assert.equal(conditionOf(standin.jobs(ns)[0], "Failed"), undefined);
    } finally {
      await standin.close();
    }
  });
});
