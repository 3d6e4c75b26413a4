/**
 * The stand-in's API surface through the real @kubernetes/client-node: discovery, CRUD, Status errors,
 * validation, RBAC denials, selectors, paging, patches.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { BatchV1Api, CoreV1Api, KubernetesObjectApi, PatchStrategy, setHeaderOptions, VersionApi, type V1Job } from "@kubernetes/client-node";
import { startKubeStandin, type KubeStandin } from "../support/kube/index.js";
import { expectStatus } from "../support/kube/expectStatus.js";

function job(name: string, overrides: Record<string, unknown> = {}): V1Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name },
    spec: {
      backoffLimit: 0,
      template: {
        spec: {
          restartPolicy: "Never",
          containers: [{ name: "main", image: "node20-local:base", command: ["node", "-e", "setTimeout(() => {}, 30000)"] }],
        },
      },
      ...overrides,
    },
  };
}

describe("kube stand-in API", { timeout: 30_000 }, () => {
  let standin: KubeStandin;
  let batch: BatchV1Api;
  let core: CoreV1Api;

  before(async () => {
    standin = await startKubeStandin({ runner: "process", namespaces: ["team-a"] });
    batch = standin.kubeConfig.makeApiClient(BatchV1Api);
    core = standin.kubeConfig.makeApiClient(CoreV1Api);
  });
  after(() => standin.close());

  it("answers discovery and /version, so KubernetesObjectApi can map kinds", async () => {
    const version = await standin.kubeConfig.makeApiClient(VersionApi).getCode();
    assert.equal(version.major, "1");
    const objects = KubernetesObjectApi.makeApiClient(standin.kubeConfig);
    const created = await objects.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "via-generic", namespace: "default" }, data: { a: "1" } });
    assert.equal(created.metadata?.name, "via-generic");
    assert.ok((created.metadata as { uid?: string } | undefined)?.uid);
  });

  it("sets server fields on create and records what the client sent", async () => {
    const created = await batch.createNamespacedJob({ namespace: "default", body: job("server-fields") });
    const m = created.metadata!;
    assert.match(m.uid!, /^[0-9a-f-]{36}$/);
    assert.match(m.resourceVersion!, /^\d+$/);
    assert.ok(m.creationTimestamp instanceof Date);
    assert.equal(m.generation, 1);
    assert.deepEqual(created.spec!.selector!.matchLabels, { "batch.kubernetes.io/controller-uid": m.uid });
    assert.equal(created.spec!.template.metadata!.labels!["job-name"], "server-fields");
    assert.equal(created.spec!.backoffLimit, 0);
    assert.equal(created.spec!.completions, 1);
    const sent = standin.received.find((r) => r.verb === "create" && r.resource === "jobs" && r.body && (r.body as V1Job).metadata?.name === "server-fields");
    assert.ok(sent, "the create request is recorded");
    assert.equal(sent.code, 201);
    assert.equal((sent.body as V1Job).metadata?.uid, undefined, "received holds what the client sent, not the stored object");
    await batch.deleteNamespacedJob({ name: "server-fields", namespace: "default", propagationPolicy: "Background" });
  });

  it("answers 409 AlreadyExists for a duplicate name and 404 NotFound for an unknown one", async () => {
    await batch.createNamespacedJob({ namespace: "default", body: job("dup") });
    const dup = await expectStatus(batch.createNamespacedJob({ namespace: "default", body: job("dup") }), 409);
    assert.equal(dup.reason, "AlreadyExists");
    assert.equal(dup.message, 'jobs.batch "dup" already exists');
    const missing = await expectStatus(batch.readNamespacedJob({ name: "nope", namespace: "default" }), 404);
    assert.equal(missing.reason, "NotFound");
    assert.equal(missing.message, 'jobs.batch "nope" not found');
    await expectStatus(core.readNamespacedPod({ name: "nope", namespace: "default" }), 404);
    await batch.deleteNamespacedJob({ name: "dup", namespace: "default", propagationPolicy: "Background" });
  });

  it("rejects invalid Jobs with 422 Invalid naming each field", async () => {
    const bad = job("Bad_Name");
    bad.spec!.template.spec!.restartPolicy = "Always";
    delete (bad.spec!.template.spec!.containers[0] as { image?: string }).image;
    const status = await expectStatus(batch.createNamespacedJob({ namespace: "default", body: bad }), 422);
    assert.equal(status.reason, "Invalid");
    const fields = status.details!.causes!.map((c) => c.field);
    assert.ok(fields.includes("metadata.name"), `causes: ${JSON.stringify(fields)}`);
    assert.ok(fields.includes("spec.template.spec.containers[0].image"));
    assert.ok(fields.includes("spec.template.spec.restartPolicy"));
    assert.match(status.message, /^Job\.batch "Bad_Name" is invalid: \[/);
    const restart = status.details!.causes!.find((c) => c.field === "spec.template.spec.restartPolicy")!;
    assert.equal(restart.reason, "FieldValueNotSupported");
    assert.equal(restart.message, 'Unsupported value: "Always": supported values: "OnFailure", "Never"');
  });

  it("refuses the nine specs a v1.28 API server refuses, with its field paths and wording, and accepts activeDeadlineSeconds 0", async () => {
    const P = "spec.template.spec";
    type Edit = (j: V1Job) => void;
    const pod = (j: V1Job) => j.spec!.template.spec!;
    const main = (j: V1Job) => pod(j).containers[0]!;
    const cases: [string, Edit, string, string][] = [
      [
        "pfp-onfailure",
        (j) => {
          pod(j).restartPolicy = "OnFailure";
          j.spec!.podFailurePolicy = { rules: [{ action: "FailJob", onExitCodes: { operator: "In", values: [42] } }] };
        },
        `${P}.restartPolicy`,
        'Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified',
      ],
      [
        "fieldref",
        (j) => {
          main(j).env = [{ name: "PHASE", valueFrom: { fieldRef: { fieldPath: "status.phase" } } }];
        },
        `${P}.containers[0].env[0].valueFrom.fieldRef.fieldPath`,
        'Unsupported value: "status.phase": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.podIP", "status.podIPs"',
      ],
      [
        "gpu",
        (j) => {
          main(j).resources = { limits: { gpu: "1" } };
        },
        `${P}.containers[0].resources.limits[gpu]`,
        'Invalid value: "gpu": must be a standard resource type or fully qualified',
      ],
      [
        "two-sources",
        (j) => {
          pod(j).volumes = [{ name: "data", emptyDir: {}, hostPath: { path: "/tmp" } }];
        },
        `${P}.volumes[0].hostPath`,
        "Forbidden: may not specify more than 1 volume type",
      ],
      [
        "selector-space",
        (j) => {
          pod(j).nodeSelector = { pool: "gpu nodes" };
        },
        `${P}.nodeSelector`,
        "Invalid value: \"gpu nodes\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      ],
      [
        "exists-value",
        (j) => {
          pod(j).tolerations = [{ key: "gpu", operator: "Exists", value: "yes", effect: "NoSchedule" }];
        },
        `${P}.tolerations[0].operator`,
        'Invalid value: core.Toleration{Key:"gpu", Operator:"Exists", Value:"yes", Effect:"NoSchedule", TolerationSeconds:(*int64)(nil)}: value must be empty when `operator` is \'Exists\'',
      ],
      [
        "negative-uid",
        (j) => {
          pod(j).securityContext = { runAsUser: -1 };
        },
        `${P}.securityContext.runAsUser`,
        "Invalid value: -1: must be between 0 and 2147483647, inclusive",
      ],
      [
        "dns-none",
        (j) => {
          pod(j).dnsPolicy = "None";
        },
        `${P}.dnsConfig`,
        "Required value: must provide `dnsConfig` when `dnsPolicy` is None",
      ],
      [
        "host-port",
        (j) => {
          pod(j).hostNetwork = true;
          main(j).ports = [{ containerPort: 8080, hostPort: 9090 }];
        },
        `${P}.containers[0].ports[0].containerPort`,
        "Invalid value: 8080: must match `hostPort` when `hostNetwork` is true",
      ],
    ];
    for (const [name, edit, field, message] of cases) {
      const body = job(`rules-${name}`);
      edit(body);
      const status = await expectStatus(batch.createNamespacedJob({ namespace: "default", body }), 422);
      assert.equal(status.reason, "Invalid", name);
      assert.equal(status.code, 422);
      assert.ok(
        status.details!.causes!.some((c) => c.field === field && c.message === message),
        `${name}: expected ${field}: ${message}; got ${JSON.stringify(status.details!.causes)}`,
      );
      assert.ok(status.message.includes(`${field}: ${message}`), `${name}: the Status message carries the cause: ${status.message}`);
    }
    const gpu = job("rules-gpu-twice");
    gpu.spec!.template.spec!.containers[0]!.resources = { limits: { gpu: "1" } };
    const both = await expectStatus(batch.createNamespacedJob({ namespace: "default", body: gpu }), 422);
    assert.deepEqual(
      both.details!.causes!.map((c) => c.message),
      ['Invalid value: "gpu": must be a standard resource type or fully qualified', 'Invalid value: "gpu": must be a standard resource for containers'],
    );
    const zero = await batch.createNamespacedJob({ namespace: "default", body: job("deadline-zero", { activeDeadlineSeconds: 0, suspend: true }) });
    assert.equal(zero.spec!.activeDeadlineSeconds, 0);
    await batch.deleteNamespacedJob({ name: "deadline-zero", namespace: "default", propagationPolicy: "Background" });
  });

  it("applies the server rules: 63-char Job names, unique container names, env names, selector", async () => {
    const long = await expectStatus(batch.createNamespacedJob({ namespace: "default", body: job("j".repeat(64)) }), 422);
    assert.ok(long.details!.causes!.some((c) => c.field === "metadata.name" && c.message.includes("must be no more than 63 characters")));
    const twins = job("twins");
    const c = twins.spec!.template.spec!.containers[0]!;
    twins.spec!.template.spec!.containers.push({ ...c, env: [{ name: "1BAD", value: "x" }] });
    const status = await expectStatus(batch.createNamespacedJob({ namespace: "default", body: twins }), 422);
    const causes = status.details!.causes!;
    assert.ok(causes.some((x) => x.field === "spec.template.spec.containers[1].name" && x.reason === "FieldValueDuplicate"));
    assert.ok(causes.some((x) => x.field === "spec.template.spec.containers[1].env[0].name" && x.reason === "FieldValueInvalid"));
    const noName = job("no-container-name");
    delete (noName.spec!.template.spec!.containers[0] as { name?: string }).name;
    const s3 = await expectStatus(batch.createNamespacedJob({ namespace: "default", body: noName }), 422);
    assert.ok(s3.details!.causes!.some((x) => x.field === "spec.template.spec.containers[0].name" && x.reason === "FieldValueRequired"));
  });

  it("supports generateName", async () => {
    const body = job("");
    body.metadata = { generateName: "gen-" };
    const created = await batch.createNamespacedJob({ namespace: "default", body });
    assert.match(created.metadata!.name!, /^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    await batch.deleteNamespacedJob({ name: created.metadata!.name!, namespace: "default", propagationPolicy: "Background" });
  });

  it("answers 400 BadRequest for malformed JSON and wrong JSON types", async () => {
    const res = await fetch(`${standin.url}/apis/batch/v1/namespaces/default/jobs`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{not json",
    });
    assert.equal(res.status, 400);
    const status = (await res.json()) as { reason: string; kind: string };
    assert.equal(status.kind, "Status");
    assert.equal(status.reason, "BadRequest");
    const wrongType = job("wrong-type");
    (wrongType.spec as unknown as Record<string, unknown>).backoffLimit = "six";
    const typed = await expectStatus(batch.createNamespacedJob({ namespace: "default", body: wrongType }), 400);
    assert.match(typed.message, /spec\.backoffLimit/);
  });

  it("answers 403 Forbidden while a deny rule is in force", async () => {
    const lift = standin.deny("create", "jobs", "team-a");
    const status = await expectStatus(batch.createNamespacedJob({ namespace: "team-a", body: job("denied") }), 403);
    assert.equal(status.reason, "Forbidden");
    assert.match(status.message, /cannot create resource "jobs" in API group "batch" in the namespace "team-a"/);
    await batch.listNamespacedJob({ namespace: "team-a" }); // other verbs are still allowed
    const other = await batch.createNamespacedJob({ namespace: "default", body: job("allowed-elsewhere") });
    assert.ok(other.metadata?.uid, "other namespaces are not denied");
    lift();
    await batch.createNamespacedJob({ namespace: "team-a", body: job("denied") });
    const logDeny = standin.deny("get", "pods/log");
    await expectStatus(core.readNamespacedPodLog({ name: "any", namespace: "default" }), 403);
    logDeny();
    for (const [name, ns] of [
      ["denied", "team-a"],
      ["allowed-elsewhere", "default"],
    ] as const) {
      await batch.deleteNamespacedJob({ name, namespace: ns, propagationPolicy: "Background" });
    }
  });

  it("answers 404 for objects in a namespace that does not exist, and serves namespaces", async () => {
    const status = await expectStatus(core.createNamespacedSecret({ namespace: "ghost", body: { metadata: { name: "s" } } }), 404);
    assert.equal(status.message, 'namespaces "ghost" not found');
    const list = await core.listNamespace();
    assert.deepEqual(list.items.map((n) => n.metadata!.name).sort(), ["default", "kube-node-lease", "kube-public", "kube-system", "team-a"]);
    const ns = await core.readNamespace({ name: "default" });
    assert.equal(ns.status!.phase, "Active");
    await core.createNamespace({ body: { metadata: { name: "made-later" } } });
    await core.createNamespacedSecret({ namespace: "made-later", body: { metadata: { name: "s" }, stringData: { k: "v" } } });
    const secret = await core.readNamespacedSecret({ name: "s", namespace: "made-later" });
    assert.equal(secret.data!.k, Buffer.from("v").toString("base64"));
    assert.equal(secret.type, "Opaque");
  });

  it("filters lists by label selector and field selector", async () => {
    const labelled: [string, Record<string, string>][] = [
      ["sel-a", { app: "sluice", tier: "web" }],
      ["sel-b", { app: "sluice", tier: "worker" }],
      ["sel-c", { app: "other" }],
      ["sel-d", { tier: "web" }],
    ];
    for (const [name, labels] of labelled) {
      await core.createNamespacedConfigMap({ namespace: "team-a", body: { metadata: { name, labels } } });
    }
    const names = async (labelSelector?: string, fieldSelector?: string) =>
      (await core.listNamespacedConfigMap({ namespace: "team-a", labelSelector, fieldSelector })).items
        .map((i) => i.metadata!.name)
        .filter((n) => n!.startsWith("sel-"));
    assert.deepEqual(await names("app=sluice"), ["sel-a", "sel-b"]);
    assert.deepEqual(await names("app==sluice,tier=web"), ["sel-a"]);
    assert.deepEqual(await names("app!=sluice"), ["sel-c", "sel-d"]);
    assert.deepEqual(await names("tier in (web, worker)"), ["sel-a", "sel-b", "sel-d"]);
    assert.deepEqual(await names("tier notin (web)"), ["sel-b", "sel-c"]);
    assert.deepEqual(await names("tier"), ["sel-a", "sel-b", "sel-d"]);
    assert.deepEqual(await names("!tier"), ["sel-c"]);
    assert.deepEqual(await names(undefined, "metadata.name=sel-b"), ["sel-b"]);
    assert.deepEqual(await names("app", "metadata.name!=sel-b"), ["sel-a", "sel-c"]);
    await expectStatus(core.listNamespacedConfigMap({ namespace: "team-a", labelSelector: "a in (" }), 400);
    await expectStatus(core.listNamespacedConfigMap({ namespace: "team-a", fieldSelector: "spec.nope=1" }), 400);
  });

  it("pages lists with limit and continue", async () => {
    for (let i = 0; i < 5; i++) {
      await core.createNamespacedSecret({
        namespace: "default",
        body: { metadata: { name: `page-${i}`, labels: { paging: "yes" } }, stringData: { i: String(i) } },
      });
    }
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await core.listNamespacedSecret({ namespace: "default", labelSelector: "paging=yes", limit: 2, _continue: token });
      seen.push(...page.items.map((s) => s.metadata!.name!));
      token = page.metadata?._continue || undefined;
      if (token) assert.equal(page.metadata!.remainingItemCount, 5 - seen.length);
      pages += 1;
    } while (token);
    assert.equal(pages, 3);
    assert.deepEqual(seen, ["page-0", "page-1", "page-2", "page-3", "page-4"]);
    await expectStatus(core.listNamespacedSecret({ namespace: "default", limit: 2, _continue: "garbage" }), 400);
  });

  it("patches with JSON Patch (client default), merge patch and strategic merge patch, and detects conflicts", async () => {
    await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "patched", labels: { a: "1" } }, data: { x: "1" } } });
    const jp = await core.patchNamespacedConfigMap({ name: "patched", namespace: "default", body: [{ op: "add", path: "/data/y", value: "2" }] });
    assert.deepEqual(jp.data, { x: "1", y: "2" });
    const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
    const mp = await core.patchNamespacedConfigMap(
      { name: "patched", namespace: "default", body: { data: { x: null, z: "3" }, metadata: { labels: { b: "2" } } } },
      merge,
    );
    assert.deepEqual(mp.data, { y: "2", z: "3" });
    assert.deepEqual(mp.metadata!.labels, { a: "1", b: "2" });
    assert.ok(Number(mp.metadata!.resourceVersion) > Number(jp.metadata!.resourceVersion));
    const stale = { ...mp, metadata: { ...mp.metadata, resourceVersion: jp.metadata!.resourceVersion } };
    const conflict = await expectStatus(core.replaceNamespacedConfigMap({ name: "patched", namespace: "default", body: stale }), 409);
    assert.equal(conflict.reason, "Conflict");
    const created = await batch.createNamespacedJob({ namespace: "default", body: job("smp", { suspend: true }) });
    const smp = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);
    const patched = await batch.patchNamespacedJob(
      {
        name: "smp",
        namespace: "default",
        body: { spec: { template: { spec: { containers: [{ name: "main", env: [{ name: "ADDED", value: "1" }] }] } } } },
      },
      smp,
    );
    const container = patched.spec!.template.spec!.containers[0]!;
    assert.equal(container.image, "node20-local:base", "strategic merge keeps the other fields of the named container");
    assert.deepEqual(JSON.parse(JSON.stringify(container.env)), [{ name: "ADDED", value: "1" }]);
    assert.equal(patched.metadata!.generation, 2);
    assert.equal(created.metadata!.generation, 1);
    const immutable = await expectStatus(
      batch.patchNamespacedJob({ name: "smp", namespace: "default", body: [{ op: "replace", path: "/spec/completions", value: 3 }] }),
      422,
    );
    assert.deepEqual(
      immutable.details!.causes!.map((c) => c.field),
      ["spec.completions"],
    );
    await batch.deleteNamespacedJob({ name: "smp", namespace: "default", propagationPolicy: "Background" });
  });

  it("serves Services with an allocated cluster IP, and requires ports", async () => {
    const svc = await core.createNamespacedService({
      namespace: "default",
      body: { metadata: { name: "redis" }, spec: { selector: { app: "redis" }, ports: [{ port: 6379 }] } },
    });
    assert.match(svc.spec!.clusterIP!, /^10\.96\.\d+\.\d+$/);
    assert.equal(svc.spec!.ports![0]!.targetPort, 6379);
    assert.equal((await core.readNamespacedService({ name: "redis", namespace: "default" })).metadata!.uid, svc.metadata!.uid);
    await core.deleteNamespacedService({ name: "redis", namespace: "default" });
    await expectStatus(core.readNamespacedService({ name: "redis", namespace: "default" }), 404);
    const noPorts = await expectStatus(core.createNamespacedService({ namespace: "default", body: { metadata: { name: "noports" }, spec: {} } }), 422);
    assert.deepEqual(
      noPorts.details!.causes!.map((c) => c.field),
      ["spec.ports"],
    );
    await expectStatus(core.createNamespacedService({ namespace: "default", body: { metadata: { name: "1svc" }, spec: { ports: [{ port: 1 }] } } }), 422);
  });

  it("warns that deleting a Job without a propagation policy orphans its pods", async () => {
    await batch.createNamespacedJob({ namespace: "default", body: job("orphaner", { suspend: true }) });
    const res = await fetch(`${standin.url}/apis/batch/v1/namespaces/default/jobs/orphaner`, { method: "DELETE" });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("warning") ?? "", /child pods are preserved by default/);
    const body = (await res.json()) as { kind: string; status: string };
    assert.equal(body.kind, "Status");
    assert.equal(body.status, "Success");
  });

  it("keeps status apart: the status subresource writes only status, the main resource ignores it", async () => {
    await core.createNamespacedService({ namespace: "default", body: { metadata: { name: "lb" }, spec: { type: "LoadBalancer", ports: [{ port: 80 }] } } });
    const current = await core.readNamespacedService({ name: "lb", namespace: "default" });
    const viaStatus = await core.replaceNamespacedServiceStatus({
      name: "lb",
      namespace: "default",
      body: { ...current, spec: { ...current.spec!, sessionAffinity: "ClientIP" }, status: { loadBalancer: { ingress: [{ ip: "192.0.2.1" }] } } },
    });
    assert.equal(viaStatus.status!.loadBalancer!.ingress![0]!.ip, "192.0.2.1");
    assert.equal(viaStatus.spec!.sessionAffinity, "None", "spec changes through /status are ignored");
    const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
    const viaMain = await core.patchNamespacedService(
      { name: "lb", namespace: "default", body: { status: { loadBalancer: {} }, metadata: { labels: { x: "y" } } } },
      merge,
    );
    assert.equal(viaMain.status!.loadBalancer!.ingress![0]!.ip, "192.0.2.1", "status changes through the main resource are ignored");
    assert.equal(viaMain.metadata!.labels!.x, "y");
    await core.deleteNamespacedService({ name: "lb", namespace: "default" });
  });

  it("deletes collections by label and empties a namespace before removing it", async () => {
    await core.createNamespace({ body: { metadata: { name: "doomed" } } });
    for (const name of ["keep", "drop-1", "drop-2"]) {
      await core.createNamespacedConfigMap({ namespace: "doomed", body: { metadata: { name, labels: { drop: String(name.startsWith("drop")) } } } });
    }
    await core.deleteCollectionNamespacedConfigMap({ namespace: "doomed", labelSelector: "drop=true" });
    assert.deepEqual(
      (await core.listNamespacedConfigMap({ namespace: "doomed" })).items.map((c) => c.metadata!.name),
      ["keep"],
    );
    await core.deleteNamespace({ name: "doomed" });
    await standin.waitFor(() => !standin.objects("namespaces").some((n) => n.metadata.name === "doomed"));
    assert.deepEqual(standin.objects("configmaps", "doomed"), []);
    await expectStatus(core.readNamespace({ name: "doomed" }), 404);
  });

  it("writes a kubeconfig file that a separate process can use through KUBECONFIG", async () => {
    const script = [
      "import { KubeConfig, CoreV1Api } from '@kubernetes/client-node';",
      "const kc = new KubeConfig(); kc.loadFromDefault();",
      "const list = await kc.makeApiClient(CoreV1Api).listNamespace();",
      "console.log(list.items.map((n) => n.metadata.name).join(','), kc.getContextObject(kc.getCurrentContext()).namespace);",
    ].join("\n");
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script], {
      env: { PATH: process.env.PATH, KUBECONFIG: standin.kubeconfigPath },
      timeout: 15_000,
    });
    assert.match(stdout, /default/);
    assert.match(stdout, / default\n$/);
  });
});
