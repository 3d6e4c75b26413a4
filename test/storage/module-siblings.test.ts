/**
 * An image bundles whole modules, so it holds the files of every flow its modules define, not only of the
 * flows it was built for (no Docker needed; test/platforms/kubernetes/register-chosen-flow.test.ts builds one).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { it } from "node:test";
import { imageCopies, withModuleSiblings } from "../../src/storage/docker/environment-files.js";
import { alpha, beta } from "../platforms/kubernetes/fixtures/two-spec-flows.js";

it("the copies for one flow of a module include the files of the module's other flows", () => {
  const flows = withModuleSiblings([alpha]);
  assert.deepEqual(
    flows.map((f) => f.name),
    ["alpha", "beta"],
  );
  assert.deepEqual(
    withModuleSiblings([beta, alpha]).map((f) => f.name),
    ["beta", "alpha"],
    "each flow once",
  );
  const spec = (name: string): string => fileURLToPath(new URL(`../platforms/kubernetes/fixtures/${name}`, import.meta.url));
  assert.deepEqual(
    imageCopies({}, flows).map((c) => c.destination),
    [spec("job_spec.yaml"), spec("crash_spec.yaml")],
  );
});
