/**
 * Test helper: awaits a client-node call that must fail and returns the Kubernetes `Status` body of
 * the failure, after checking its HTTP code.
 */
import assert from "node:assert/strict";

export interface KubeStatus {
  kind: "Status";
  code: number;
  reason: string;
  message: string;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason: string; message: string; field?: string }[] };
}

export async function expectStatus(call: Promise<unknown>, code: number): Promise<KubeStatus> {
  let error: unknown;
  try {
    await call;
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected the call to fail with HTTP ${code}, but it succeeded`);
  const e = error as { code?: number; body?: unknown };
  assert.equal(e.code, code, `expected HTTP ${code}, got ${String(e.code)}: ${String((error as Error).message).slice(0, 500)}`);
  const body = typeof e.body === "string" ? JSON.parse(e.body) : e.body;
  assert.equal(body?.kind, "Status", `the error body is not a Status: ${JSON.stringify(body)}`);
  return body as KubeStatus;
}
