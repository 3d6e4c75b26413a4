/**
 * The API server's cross-field rules for Job and Pod specs: each rule refused with the server's field path
 * and wording, and the neighbouring valid spec accepted.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { causeText, jobSpecCauses, podSpecCauses, type ValidationCause } from "../../../src/platforms/kubernetes/validation-rules.js";

type Json = Record<string, unknown>;

function jobSpec(pod: Json = {}, job: Json = {}): Json {
  return {
    backoffLimit: 0,
    ...job,
    template: { spec: { restartPolicy: "Never", containers: [{ name: "flow", image: "x:1" }], ...pod } },
  };
}

const texts = (causes: ValidationCause[]) => causes.map(causeText);
const P = "spec.template.spec";

describe("validation rules: Job spec", () => {
  it("accepts a plain Job spec", () => {
    assert.deepEqual(jobSpecCauses(jobSpec(), "spec"), []);
  });

  it("allows podFailurePolicy only with restartPolicy Never", () => {
    const policy = { rules: [{ action: "FailJob", onExitCodes: { operator: "In", values: [42] } }] };
    assert.deepEqual(texts(jobSpecCauses(jobSpec({ restartPolicy: "OnFailure" }, { podFailurePolicy: policy }), "spec")), [
      `${P}.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified`,
    ]);
    assert.deepEqual(jobSpecCauses(jobSpec({}, { podFailurePolicy: policy }), "spec"), []);
    assert.deepEqual(jobSpecCauses(jobSpec({ restartPolicy: "OnFailure" }), "spec"), []);
  });

  it("refuses restartPolicy Always (also when missing, as the server defaults it)", () => {
    const spec = jobSpec();
    delete ((spec.template as Json).spec as Json).restartPolicy;
    assert.deepEqual(texts(jobSpecCauses(spec, "spec")), [`${P}.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"`]);
  });

  it("checks pod failure policy rules: action, one of exit codes or conditions, In without 0, ordered values", () => {
    const rules = [
      { action: "Retry", onPodConditions: [{ type: "DisruptionTarget" }] },
      { action: "Ignore" },
      { action: "FailJob", onExitCodes: { operator: "In", values: [0, 3, 2] } },
    ];
    assert.deepEqual(texts(jobSpecCauses(jobSpec({}, { podFailurePolicy: { rules } }), "spec")), [
      'spec.podFailurePolicy.rules[0].action: Unsupported value: "Retry": supported values: "Count", "FailJob", "Ignore"',
      'spec.podFailurePolicy.rules[1]: Invalid value: "": specifying one of OnExitCodes and OnPodConditions is required',
      "spec.podFailurePolicy.rules[2].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator",
      "spec.podFailurePolicy.rules[2].onExitCodes.values[2]: Invalid value: 2: must be ordered",
    ]);
  });

  it("accepts activeDeadlineSeconds 0 on a Job and refuses negative counts", () => {
    assert.deepEqual(jobSpecCauses(jobSpec({}, { activeDeadlineSeconds: 0 }), "spec"), []);
    assert.deepEqual(texts(jobSpecCauses(jobSpec({}, { activeDeadlineSeconds: -1, backoffLimit: -2 }), "spec")), [
      "spec.backoffLimit: Invalid value: -2: must be greater than or equal to 0",
      "spec.activeDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0",
    ]);
  });
});

describe("validation rules: Pod spec", () => {
  const pod = (extra: Json = {}, container: Json = {}): Json => ({
    restartPolicy: "Never",
    containers: [{ name: "flow", image: "x:1", ...container }],
    ...extra,
  });

  it("accepts env fieldRefs the downward API serves to env, including label subscripts", () => {
    const env = ["metadata.name", "status.podIP", "spec.host", "metadata.labels['app']"].map((fieldPath, i) => ({
      name: `V${i}`,
      valueFrom: { fieldRef: { fieldPath } },
    }));
    assert.deepEqual(podSpecCauses(pod({}, { env }), "spec"), []);
  });

  it("refuses a fieldRef to a path env cannot read, or one the server does not know", () => {
    const env = [
      { name: "A", valueFrom: { fieldRef: { fieldPath: "status.phase" } } },
      { name: "B", valueFrom: { fieldRef: { fieldPath: "spec.containers" } } },
      { name: "C", valueFrom: { fieldRef: { fieldPath: "spec.nodeName['x']" } } },
      { name: "D", valueFrom: { fieldRef: { apiVersion: "v2", fieldPath: "metadata.name" } } },
    ];
    const f = (i: number) => `spec.containers[0].env[${i}].valueFrom.fieldRef.fieldPath`;
    assert.deepEqual(texts(podSpecCauses(pod({}, { env }), "spec")), [
      `${f(0)}: Unsupported value: "status.phase": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.podIP", "status.podIPs"`,
      `${f(1)}: Invalid value: "spec.containers": error converting fieldPath: field label not supported: spec.containers`,
      `${f(2)}: Invalid value: "spec.nodeName['x']": error converting fieldPath: field label does not support subscript: spec.nodeName['x']`,
      `${f(3)}: Invalid value: "metadata.name": error converting fieldPath: unsupported pod version: v2`,
    ]);
  });

  it("refuses a resource name that is neither standard nor fully qualified, twice as the server does", () => {
    const causes = podSpecCauses(pod({}, { resources: { limits: { gpu: "1" } } }), P);
    assert.deepEqual(causes, [
      {
        field: `${P}.containers[0].resources.limits[gpu]`,
        type: "FieldValueInvalid",
        message: 'Invalid value: "gpu": must be a standard resource type or fully qualified',
      },
      {
        field: `${P}.containers[0].resources.limits[gpu]`,
        type: "FieldValueInvalid",
        message: 'Invalid value: "gpu": must be a standard resource for containers',
      },
    ]);
    const fine = { limits: { cpu: "1", memory: "1Gi", "nvidia.com/gpu": "1", "hugepages-2Mi": "2Mi" }, requests: { "ephemeral-storage": "1Gi" } };
    assert.deepEqual(podSpecCauses(pod({}, { resources: fine }), P), []);
    assert.deepEqual(texts(podSpecCauses(pod({}, { resources: { requests: { pods: "1" } } }), "spec")), [
      'spec.containers[0].resources.requests[pods]: Invalid value: "pods": must be a standard resource for containers',
    ]);
  });

  it("refuses a volume with two sources, naming the second, and one with none", () => {
    const volumes = [
      { name: "two", emptyDir: {}, configMap: { name: "c" } },
      { name: "none" },
      { name: "one", secret: { secretName: "s" } },
      { name: "ceph", persistentVolumeClaim: { claimName: "x" }, cephfs: { monitors: ["m"] } },
    ];
    assert.deepEqual(texts(podSpecCauses(pod({ volumes }), "spec")), [
      "spec.volumes[0].configMap: Forbidden: may not specify more than 1 volume type",
      "spec.volumes[1]: Required value: must specify a volume type",
      "spec.volumes[3].cephFS: Forbidden: may not specify more than 1 volume type",
    ]);
  });

  it("refuses a nodeSelector value with a space, on the nodeSelector's own path", () => {
    const [cause, ...rest] = podSpecCauses(pod({ nodeSelector: { pool: "gpu nodes", "kubernetes.io/os": "linux" } }), P);
    assert.deepEqual(rest, []);
    assert.equal(cause!.field, `${P}.nodeSelector`);
    assert.match(cause!.message, /^Invalid value: "gpu nodes": a valid label must be an empty string or consist of alphanumeric characters/);
  });

  it("refuses an Exists toleration with a value, printing the toleration as the server does", () => {
    const tolerations = [
      { key: "gpu", operator: "Exists", value: "yes", effect: "NoSchedule" },
      { key: "gpu", operator: "Exists", effect: "NoSchedule" },
      { key: "gpu", operator: "Equal", value: "yes", effect: "NoExecute", tolerationSeconds: 30 },
      { operator: "Exists" },
    ];
    assert.deepEqual(texts(podSpecCauses(pod({ tolerations }), "spec")), [
      'spec.tolerations[0].operator: Invalid value: core.Toleration{Key:"gpu", Operator:"Exists", Value:"yes", Effect:"NoSchedule", TolerationSeconds:(*int64)(nil)}: value must be empty when `operator` is \'Exists\'',
    ]);
    assert.deepEqual(
      texts(podSpecCauses(pod({ tolerations: [{ key: "a", operator: "Equal", value: "x", tolerationSeconds: 5, effect: "NoSchedule" }] }), "spec")),
      ["spec.tolerations[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set"],
    );
  });

  it("refuses negative user and group ids, in the pod's and a container's security context", () => {
    assert.deepEqual(texts(podSpecCauses(pod({ securityContext: { runAsUser: -1, fsGroup: 1000 } }, { securityContext: { runAsGroup: -5 } }), "spec")), [
      "spec.containers[0].securityContext.runAsGroup: Invalid value: -5: must be between 0 and 2147483647, inclusive",
      "spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive",
    ]);
    assert.deepEqual(podSpecCauses(pod({ securityContext: { runAsUser: 0 } }, { securityContext: { runAsUser: 1000 } }), "spec"), []);
  });

  it("requires dnsConfig with nameservers when dnsPolicy is None", () => {
    assert.deepEqual(texts(podSpecCauses(pod({ dnsPolicy: "None" }), "spec")), [
      "spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None",
    ]);
    assert.deepEqual(texts(podSpecCauses(pod({ dnsPolicy: "None", dnsConfig: { searches: ["a"] } }), "spec")), [
      "spec.dnsConfig.nameservers: Required value: must provide at least one DNS nameserver when `dnsPolicy` is None",
    ]);
    assert.deepEqual(podSpecCauses(pod({ dnsPolicy: "None", dnsConfig: { nameservers: ["1.1.1.1"] } }), "spec"), []);
    assert.deepEqual(podSpecCauses(pod({ dnsPolicy: "ClusterFirst" }), "spec"), []);
  });

  it("requires hostPort to equal containerPort under hostNetwork (a missing hostPort defaults to it)", () => {
    const ports = [{ containerPort: 8080, hostPort: 9090 }, { containerPort: 7070 }, { containerPort: 6060, hostPort: 6060 }];
    assert.deepEqual(texts(podSpecCauses(pod({ hostNetwork: true }, { ports }), "spec")), [
      "spec.containers[0].ports[0].containerPort: Invalid value: 8080: must match `hostPort` when `hostNetwork` is true",
    ]);
    assert.deepEqual(podSpecCauses(pod({}, { ports }), "spec"), []);
  });

  it("refuses a pod activeDeadlineSeconds below 1, unlike a Job's", () => {
    assert.deepEqual(texts(podSpecCauses(pod({ activeDeadlineSeconds: 0 }), "spec")), [
      "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive",
    ]);
    assert.deepEqual(podSpecCauses(pod({ activeDeadlineSeconds: 60 }), "spec"), []);
  });
});
