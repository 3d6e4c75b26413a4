/**
 * A job spec the Kubernetes API server would refuse is refused at construction, naming the file, the line,
 * the field and the server's rule (the nine specs a v1.28 server answered with 422), and
 * `activeDeadlineSeconds: 0` (accepted by the server) is accepted.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SluiceError } from "../../../src/core/errors.js";
import { compileJobSpec } from "../../../src/platforms/kubernetes/job-spec.js";

const head = `apiVersion: batch/v1
kind: Job
metadata:
  name: rules
spec:
`;

function refused(body: string): SluiceError {
  try {
    compileJobSpec({ file: "job_spec.yaml", text: head + body });
  } catch (error) {
    assert.ok(error instanceof SluiceError, String(error));
    return error;
  }
  assert.fail(`accepted:\n${body}`);
}

const pod = (extra: string, container = "") => `  template:
    spec:
      restartPolicy: Never
${extra}      containers:
        - name: flow
          image: x:1
${container}`;

describe("job spec: the API server's cross-field rules at construction", () => {
  const cases: [string, string, string, RegExp][] = [
    [
      "podFailurePolicy with OnFailure",
      `  podFailurePolicy:
    rules:
      - action: FailJob
        onExitCodes: { operator: In, values: [42] }
  template:
    spec:
      restartPolicy: OnFailure
      containers:
        - name: flow
          image: x:1
`,
      "spec.template.spec.restartPolicy",
      /job_spec\.yaml:12: spec\.template\.spec\.restartPolicy would be refused by the Kubernetes API server \(422 Invalid\): Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified$/,
    ],
    [
      "fieldRef",
      pod("", "          env:\n            - name: PHASE\n              valueFrom: { fieldRef: { fieldPath: status.phase } }\n"),
      "spec.template.spec.containers[0].env[0].valueFrom.fieldRef.fieldPath",
      /job_spec\.yaml:14: .*Unsupported value: "status\.phase": supported values: "metadata\.name"/,
    ],
    [
      "gpu",
      pod("", "          resources: { limits: { gpu: 1 } }\n"),
      "spec.template.spec.containers[0].resources.limits.gpu",
      /job_spec\.yaml:12: .*limits\.gpu would be refused .*: Invalid value: "gpu": must be a standard resource type or fully qualified \(and 1 more: .*must be a standard resource for containers\)$/,
    ],
    [
      "two volume sources",
      pod("      volumes:\n        - name: data\n          emptyDir: {}\n          hostPath: { path: /tmp }\n"),
      "spec.template.spec.volumes[0].hostPath",
      /job_spec\.yaml:12: .*Forbidden: may not specify more than 1 volume type/,
    ],
    [
      "nodeSelector with a space",
      pod("      nodeSelector: { pool: gpu nodes }\n"),
      "spec.template.spec.nodeSelector",
      /job_spec\.yaml:9: .*Invalid value: "gpu nodes": a valid label must be/,
    ],
    [
      "Exists toleration with a value",
      pod("      tolerations:\n        - { key: gpu, operator: Exists, value: yes }\n"),
      "spec.template.spec.tolerations[0].operator",
      /value must be empty when `operator` is 'Exists'/,
    ],
    [
      "runAsUser -1",
      pod("      securityContext: { runAsUser: -1 }\n"),
      "spec.template.spec.securityContext.runAsUser",
      /job_spec\.yaml:9: .*Invalid value: -1: must be between 0 and 2147483647, inclusive/,
    ],
    ["dnsPolicy None", pod("      dnsPolicy: None\n"), "spec.template.spec.dnsConfig", /Required value: must provide `dnsConfig` when `dnsPolicy` is None/],
    [
      "hostNetwork port",
      pod("      hostNetwork: true\n", "          ports: [{ containerPort: 8080, hostPort: 9090 }]\n"),
      "spec.template.spec.containers[0].ports[0].containerPort",
      /must match `hostPort` when `hostNetwork` is true/,
    ],
  ];
  for (const [name, body, field, message] of cases) {
    it(`refuses ${name}`, () => {
      const error = refused(body);
      assert.equal(error.code, "INVALID_OPTION");
      assert.equal(error.field, field);
      assert.match(error.message, /^KubernetesJobEnvironment: job spec job_spec\.yaml:\d+: /);
      assert.match(error.message, message);
    });
  }

  it("accepts activeDeadlineSeconds 0 and a valid spec using the same features", () => {
    const spec = compileJobSpec({
      file: "job_spec.yaml",
      text:
        head +
        `  activeDeadlineSeconds: 0
  podFailurePolicy:
    rules:
      - action: FailJob
        onExitCodes: { operator: In, values: [42] }
` +
        pod(
          "      nodeSelector: { pool: gpu-nodes }\n      hostNetwork: true\n      tolerations: [{ key: gpu, operator: Exists }]\n",
          "          resources: { limits: { nvidia.com/gpu: 1 } }\n          ports: [{ containerPort: 8080 }]\n",
        ),
    });
    assert.equal(spec.spec.activeDeadlineSeconds, 0);
  });
});
