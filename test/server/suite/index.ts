/**
 * The API test suite, run once per database (api-sqlite.test.ts, api-postgres.test.ts). Most groups
 * share one server; the ones that drive services with far-future clocks or need auth get their own.
 */
import { describe, before, after } from "node:test";
import { startTestServer, type DatabaseTarget, type TestServer } from "../support.js";
import { flowTests } from "./flows.js";
import { flowRunTests } from "./flow-runs.js";
import { flowRunFilterTests } from "./flow-run-filters.js";
import { claimTests } from "./claims.js";
import { taskRunAndLogTests } from "./task-runs-logs.js";
import { scheduleTests } from "./schedules.js";
import { cancellationGraceTests, serviceTests } from "./services.js";
import { authTests, secretTests } from "./secrets-auth.js";
import { restartTests } from "./restart.js";
import { taskRunBatchTests } from "./task-run-batches.js";

/** A describe block with its own server, closed after the block. */
function withServer(name: string, target: DatabaseTarget, env: Record<string, string>, body: (get: () => TestServer) => void): void {
  describe(name, () => {
    let server: TestServer | undefined;
    before(async () => {
      server = await startTestServer(target, { env });
    });
    after(async () => {
      await server?.close();
    });
    body(() => server!);
  });
}

export function apiSuite(target: DatabaseTarget): void {
  after(async () => {
    await target.cleanup();
  });
  const shared = { SLUICE__SERVER__BODY_LIMIT_BYTES: "65536" };
  withServer("flows", target, shared, flowTests);
  withServer("flow runs", target, shared, flowRunTests);
  withServer("flow run filters", target, shared, flowRunFilterTests);
  withServer("agents and claims", target, shared, claimTests);
  withServer("task runs and logs", target, {}, taskRunAndLogTests);
  withServer("schedules", target, {}, scheduleTests);
  withServer("services", target, {}, serviceTests);
  withServer("cancellation grace", target, { SLUICE__SERVER__CANCELLATION_GRACE_MS: "5000" }, cancellationGraceTests);
  withServer("secrets", target, {}, secretTests);
  taskRunBatchTests(target);
  authTests(target);
  restartTests(target);
}
