/**
 * `ecsSuite()`: a describe() block for tests that need the ECS stand-in. It needs botocore's service
 * models (read at run time) and the services listed (Docker for tasks that run); when one is missing the
 * suite is skipped with the reason, and under CI=true it becomes a failing test, as serviceSuite does.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { serviceSuite, type Service } from "../services.js";
import { loadServiceModels } from "./model.js";

export async function ecsSuite(needs: readonly Service[], name: string, body: () => void): Promise<void> {
  const loaded = loadServiceModels();
  if ("reason" in loaded) {
    if (process.env.CI === "true") {
      describe(name, () => {
        it("needs botocore's service models", () => assert.fail(`missing under CI=true: ${loaded.reason}`));
      });
    } else {
      describe(name, { skip: `needs botocore's service models: ${loaded.reason}` }, body);
    }
    return;
  }
  await serviceSuite(needs, name, body);
}
