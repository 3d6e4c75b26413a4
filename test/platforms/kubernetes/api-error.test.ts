import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ApiException } from "@kubernetes/client-node";
import { KubernetesApiError, kubernetesError } from "../../../src/platforms/kubernetes/api-error.js";

const status = (code: number, reason: string, message: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message, ...extra });

describe("kubernetesError", () => {
  it("carries the Status message, reason and code of an API answer", () => {
    const raw = new ApiException(
      422,
      "Unknown API Status Code!",
      status(422, "Invalid", 'Job.batch "x" is invalid: spec.template.spec.containers[0].image: Required value', {
        details: { causes: [{ field: "spec.template.spec.containers[0].image", reason: "FieldValueRequired" }] },
      }),
      {},
    );
    const error = kubernetesError("creating Job x in namespace default", raw, "https://k8s");
    assert.ok(error instanceof KubernetesApiError);
    assert.equal(error.code, "ENVIRONMENT_ERROR");
    assert.equal(error.statusCode, 422);
    assert.equal(error.reason, "Invalid");
    assert.equal(error.field, "spec.template.spec.containers[0].image");
    assert.match(error.message, /^creating Job x in namespace default failed: Job\.batch "x" is invalid: .*Required value \(reason: Invalid, HTTP 422\)\.$/);
    assert.equal(error.cause, raw);
  });

  it("maps codes to Sluice codes, with a hint on Forbidden", () => {
    const forbidden = kubernetesError(
      "creating Job x",
      new ApiException(403, "", status(403, "Forbidden", 'jobs.batch is forbidden: User "system:serviceaccount:default:sa" cannot create resource "jobs"'), {}),
      "s",
    );
    assert.equal(forbidden.code, "UNAUTHORIZED");
    assert.match(forbidden.message, /cannot create resource "jobs" \(reason: Forbidden, HTTP 403\)\. Grant the service account/);
    assert.equal(kubernetesError("a", new ApiException(409, "", status(409, "AlreadyExists", "exists"), {}), "s").code, "CONFLICT");
    assert.equal(kubernetesError("a", new ApiException(404, "", status(404, "NotFound", "gone"), {}), "s").code, "NOT_FOUND");
    const unauthorized = kubernetesError("a", new ApiException(401, "Unauthorized", undefined, {}), "s");
    assert.equal(unauthorized.reason, "Unauthorized");
    assert.match(unauthorized.message, /credentials/);
    const text = kubernetesError("a", new ApiException(500, "", "upstream exploded", {}), "s");
    assert.equal(text.code, "SERVICE_UNAVAILABLE");
    assert.match(text.message, /upstream exploded \(reason: InternalError, HTTP 500\)/);
  });

  it("says when the API cannot be reached", () => {
    const refused = Object.assign(new Error("request to https://10.0.0.1/apis failed"), {
      cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
    });
    const error = kubernetesError("listing Jobs", refused, "https://10.0.0.1");
    assert.equal(error.code, "SERVICE_UNAVAILABLE");
    assert.equal(error.reason, "ECONNREFUSED");
    assert.match(error.message, /the Kubernetes API at https:\/\/10\.0\.0\.1 is not reachable \(ECONNREFUSED/);
    assert.equal(kubernetesError("x", new Error("boom"), "s").code, "ENVIRONMENT_ERROR");
  });
});
