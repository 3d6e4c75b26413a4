import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { agentOverrides } from "../../../src/cli/commands/agent.js";
import { configSchema } from "../../../src/config/schema.js";
import type { SluiceError } from "../../../src/core/errors.js";
import {
  AGENT_LABEL,
  buildAgentJob,
  compileKubernetesAgentOptions,
  containerStateLines,
  DEFAULT_TERMINATION_REPORT,
  jobFailure,
  podFailure,
} from "../../../src/platforms/kubernetes/kubernetes-agent.js";
import { compileJobSpec } from "../../../src/platforms/kubernetes/job-spec.js";
import { CREATED_BY_LABEL, FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL } from "../../../src/platforms/kubernetes/names.js";

const RUN = "6f1c0e2a-1b2c-4d3e-8f9a-0b1c2d3e4f5a";

describe("the Kubernetes agent's stage A Job", () => {
  const env = [
    { name: "SLUICE__CONTEXT__FLOW_RUN_ID", value: RUN },
    { name: "SLUICE__API__KEY", valueFrom: { secretKeyRef: { name: "sluice-api-key", key: "api-key" } } },
  ];

  it("runs `sluice execute flow-run --stage deploy` from the flow's image, named from the run id", () => {
    const job = buildAgentJob({ image: "reg/flow:1", flowRunId: RUN, identifier: "id-1", agentName: "K8s Agent #1", env });
    assert.equal(job.metadata.name, `sluice-run-${RUN}`);
    assert.equal(
      buildAgentJob({ image: "reg/flow:1", flowRunId: RUN, identifier: "id-2", agentName: "a", env }).metadata.name,
      job.metadata.name,
      "the same run, the same name",
    );
    const labels = { [IDENTIFIER_LABEL]: "id-1", [FLOW_RUN_ID_LABEL]: RUN, [CREATED_BY_LABEL]: "agent", [AGENT_LABEL]: "k8s-agent-1" };
    assert.deepEqual(job.metadata.labels, labels);
    assert.deepEqual(job.spec.template.metadata.labels, labels);
    assert.equal(job.spec.backoffLimit, 0);
    const pod = job.spec.template.spec;
    assert.equal(pod.restartPolicy, "Never");
    assert.deepEqual(pod.containers[0], {
      name: "flow-run",
      image: "reg/flow:1",
      command: ["sluice"],
      args: ["execute", "flow-run", "--stage", "deploy"],
      env,
    });
    assert.ok(!JSON.stringify(job).includes('"value":"secret'), "no plain key");
  });

  it("starts from the template, keeping its resources; flags set the service account and add pull secrets", () => {
    const template = compileJobSpec({
      file: "template.yaml",
      text: `apiVersion: batch/v1
kind: Job
metadata:
  name: team-runs
spec:
  activeDeadlineSeconds: 3600
  template:
    spec:
      serviceAccountName: from-template
      imagePullSecrets: [{ name: regcred }]
      nodeSelector: { pool: flows }
      containers:
        - name: runner
          resources: { limits: { memory: 1Gi } }
          env: [{ name: SLUICE__LOGGING__LEVEL, value: debug }]
`,
    });
    const job = buildAgentJob({
      template,
      image: "reg/flow:1",
      flowRunId: RUN,
      identifier: "id-1",
      agentName: "a",
      env: [...env, { name: "SLUICE__LOGGING__LEVEL", value: "info" }],
      sluiceCommand: ["node", "/app/sluice.js"],
      serviceAccountName: "sluice-runner",
      imagePullSecrets: ["regcred", "other"],
    });
    assert.equal(job.metadata.name, `team-runs-${RUN}`);
    assert.equal(job.spec.activeDeadlineSeconds, 3600);
    const pod = job.spec.template.spec;
    assert.equal(pod.serviceAccountName, "sluice-runner");
    assert.deepEqual(pod.imagePullSecrets, [{ name: "regcred" }, { name: "other" }]);
    assert.deepEqual(pod.nodeSelector, { pool: "flows" });
    const [container] = pod.containers;
    assert.deepEqual(container!.command, ["node"]);
    assert.deepEqual(container!.args, ["/app/sluice.js", "execute", "flow-run", "--stage", "deploy"]);
    assert.deepEqual(container!.resources, { limits: { memory: "1Gi" } });
    assert.equal(container!.env!.find((e) => e.name === "SLUICE__LOGGING__LEVEL")!.value, "debug", "the template's value wins");
    assert.equal(template.metadata.name, "team-runs", "the template is not changed");
  });
});

describe("the Kubernetes agent's options", () => {
  it("come from kubernetes.* config keys, which the CLI flags override", () => {
    const overrides = agentOverrides({ label: [], namespace: "flows", serviceAccount: "runner", imagePullSecrets: "a,b", deleteFinishedJobs: false });
    const config = configSchema().parse({ ...overrides, api: { key: "k" } });
    const o = compileKubernetesAgentOptions(config);
    assert.equal(o.namespace, "flows");
    assert.equal(o.serviceAccountName, "runner");
    assert.deepEqual(o.imagePullSecrets, ["a", "b"]);
    assert.equal(o.deleteFinishedJobs, false);
    assert.deepEqual(o.apiKeySecret, { name: "sluice-api-key", key: "api-key" }, "an agent with a key references the default Secret");
    assert.equal(compileKubernetesAgentOptions(configSchema().parse({})).apiKeySecret, undefined, "no key, no reference");
    assert.equal(compileKubernetesAgentOptions(configSchema().parse({})).deleteFinishedJobs, true);
    assert.deepEqual(agentOverrides({ label: [] }), { agent: {} });
  });

  it("wait for a run stopped from outside to report: defaults, overrides in ms, and a bad value named", () => {
    const config = configSchema().parse({});
    assert.deepEqual(compileKubernetesAgentOptions(config).terminationReport, { marginMs: 5_000, defaultGracePeriodMs: 30_000, maxWaitMs: 300_000 });
    assert.deepEqual(DEFAULT_TERMINATION_REPORT, { marginMs: 5_000, defaultGracePeriodMs: 30_000, maxWaitMs: 300_000 });
    assert.deepEqual(compileKubernetesAgentOptions(config, { terminationReport: { marginMs: 0, maxWaitMs: 60_000 } }).terminationReport, {
      marginMs: 0,
      defaultGracePeriodMs: 30_000,
      maxWaitMs: 60_000,
    });
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, "5s" as unknown as number]) {
      assert.throws(
        () => compileKubernetesAgentOptions(config, { terminationReport: { marginMs: bad } }),
        (e: SluiceError) =>
          e.code === "INVALID_OPTION" && e.field === "terminationReport.marginMs" && /terminationReport\.marginMs .* is not a duration/.test(e.message),
      );
    }
  });

  it("reject a bad namespace or template, naming the flag", () => {
    assert.throws(
      () => compileKubernetesAgentOptions(configSchema().parse({ kubernetes: { namespace: "Bad_NS" } })),
      (e: SluiceError) => e.field === "kubernetes.namespace" && /--namespace "Bad_NS"/.test(e.message),
    );
    assert.throws(
      () => compileKubernetesAgentOptions(configSchema().parse({ kubernetes: { jobTemplate: "/nonexistent.yaml" } })),
      (e: SluiceError) => e.field === "--job-template" && /Kubernetes agent: --job-template/.test(e.message),
    );
    assert.throws(
      () => compileKubernetesAgentOptions(configSchema().parse({ kubernetes: { imagePullSecrets: "ok,Not_OK" } })),
      (e: SluiceError) => e.field === "--image-pull-secrets",
    );
  });
});

describe("reading pods and Jobs", () => {
  const pod = (status: Record<string, unknown>): V1Pod => ({ metadata: { name: "p1" }, status }) as V1Pod;
  const waiting = (reason: string, message: string) =>
    pod({ phase: "Pending", containerStatuses: [{ name: "c", image: "img", restartCount: 0, ready: false, state: { waiting: { reason, message } } }] });

  it("image pull errors, unconfigurable containers, OOM kills, evictions and pod deadlines fail the run with the reason", () => {
    assert.deepEqual(podFailure(waiting("ImagePullBackOff", 'Back-off pulling image "img"')), {
      reason: "ImagePullBackOff",
      message: 'container c of pod p1 cannot start: ImagePullBackOff: Back-off pulling image "img"',
    });
    assert.equal(podFailure(waiting("ErrImagePull", "x"))!.reason, "ErrImagePull");
    assert.equal(podFailure(waiting("CreateContainerConfigError", 'secret "sluice-api-key" not found'))!.reason, "CreateContainerConfigError");
    assert.equal(podFailure(waiting("ContainerCreating", "")), undefined, "still starting is not a failure");
    const oom = pod({
      phase: "Failed",
      containerStatuses: [{ name: "c", image: "img", restartCount: 0, ready: false, state: { terminated: { exitCode: 137, reason: "OOMKilled" } } }],
    });
    assert.deepEqual(podFailure(oom), { reason: "OOMKilled", message: "container c of pod p1 ran out of memory and was killed (OOMKilled, exit code 137)" });
    const restarted = pod({
      phase: "Running",
      containerStatuses: [
        { name: "c", image: "img", restartCount: 1, ready: true, state: { running: {} }, lastState: { terminated: { exitCode: 137, reason: "OOMKilled" } } },
      ],
    });
    assert.equal(podFailure(restarted)!.reason, "OOMKilled");
    assert.deepEqual(podFailure(pod({ phase: "Failed", reason: "Evicted", message: "The node was low on resource: memory." })), {
      reason: "Evicted",
      message: "pod p1 was evicted: The node was low on resource: memory.",
    });
    assert.deepEqual(
      podFailure(pod({ phase: "Failed", reason: "DeadlineExceeded", message: "Pod was active on the node longer than the specified deadline" })),
      {
        reason: "DeadlineExceeded",
        message: "pod p1 was stopped at its activeDeadlineSeconds: Pod was active on the node longer than the specified deadline",
      },
    );
    assert.equal(
      podFailure(pod({ phase: "Running", containerStatuses: [{ name: "c", image: "img", restartCount: 0, ready: true, state: { running: {} } }] })),
      undefined,
    );
  });

  it("a Job failed by its backoff limit or deadline is a failure with Kubernetes' reason", () => {
    const job = (reason: string, message: string): V1Job =>
      ({ metadata: { name: "j1" }, status: { conditions: [{ type: "Failed", status: "True", reason, message }] } }) as V1Job;
    assert.deepEqual(jobFailure(job("BackoffLimitExceeded", "Job has reached the specified backoff limit")), {
      reason: "BackoffLimitExceeded",
      message: "Kubernetes Job j1 failed (BackoffLimitExceeded): Job has reached the specified backoff limit",
    });
    assert.equal(jobFailure(job("DeadlineExceeded", "Job was active longer than specified deadline"))!.reason, "DeadlineExceeded");
    assert.equal(jobFailure({ metadata: { name: "j" }, status: { conditions: [{ type: "Complete", status: "True" }] } } as V1Job), undefined);
  });

  it("every container's state, exit code and reason is one line", () => {
    const lines = containerStateLines(
      pod({
        phase: "Failed",
        containerStatuses: [
          {
            name: "flow",
            image: "reg/f:1",
            restartCount: 1,
            ready: false,
            state: { terminated: { exitCode: 137, reason: "OOMKilled" } },
            lastState: { terminated: { exitCode: 1, reason: "Error" } },
          },
          { name: "sidecar", image: "envoy", restartCount: 0, ready: false, state: { waiting: { reason: "PodInitializing" } } },
        ],
      }),
    );
    assert.deepEqual(lines, [
      "Pod p1, container flow (image reg/f:1, 1 restart): terminated with exit code 137, reason OOMKilled; before its last restart: exit code 1, reason Error",
      "Pod p1, container sidecar (image envoy, 0 restarts): waiting, reason PodInitializing",
    ]);
  });
});
