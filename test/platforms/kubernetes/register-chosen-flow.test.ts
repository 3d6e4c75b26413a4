/**
 * `sluice register <module> --flow alpha` of a module whose other flows have job spec files of their own:
 * the image bundles the whole module, so importing it there constructs every flow and reads every job
 * spec. The image must hold the files of every flow the module constructs, not only the chosen one's, or
 * its health check (and every run) fails on the other flow's missing spec.
 */
import { after, it } from "node:test";
import assert from "node:assert/strict";
import { configSchema } from "../../../src/config/schema.js";
import { buildWithProgress } from "../../../src/cli/build-step.js";
import { serviceSuite, services } from "../../support/services.js";
import { alpha, storage } from "./fixtures/two-spec-flows.js";

await serviceSuite(["docker"], "register of one flow of a module whose flows have their own job specs", () => {
  after(async () => {
    const { default: Docker } = await import("dockerode");
    const image = storage.image;
    if (image)
      await new Docker({ socketPath: services.dockerSocket })
        .getImage(image)
        .remove()
        .catch(() => undefined);
  });

  it("builds an image for the chosen flow alone; its health check, which imports the whole module, passes", { timeout: 600_000 }, async () => {
    const config = configSchema().parse({ docker: { baseImage: services.nodeImage } });
    const [group] = await buildWithProgress([alpha], { config, push: false });
    assert.deepEqual(
      group?.flows.map((f) => f.name),
      ["alpha"],
      "only the chosen flow is in the storage",
    );
    assert.deepEqual(storage.flowNames, ["alpha"]);
    // The build ran the health check in the image: it imported the module, which read both job specs there.
    assert.ok(storage.image, "the image was built");
  });
});
