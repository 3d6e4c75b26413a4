import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flow, task, DockerEnvironment, DockerStorage, LocalEnvironment, LocalStorage, SluiceError } from "sluice";
import { applyImageMetadata, storagesOf } from "../../src/deployment/prepare.js";

const t = task("t", async () => 1);

describe("preparing flows for deployment", () => {
  it("sets metadata.image from Docker storage's image unless the user set it", () => {
    const storage = new DockerStorage({ registryUrl: "127.0.0.1:5000", imageName: "etl", imageTag: "v1" });
    const plain = flow("meta-plain", { storage, environment: new DockerEnvironment() }, () => t());
    const pinned = flow("meta-pinned", { storage, environment: new DockerEnvironment({ metadata: { image: "mine:2" } }) }, () => t());
    applyImageMetadata(plain);
    applyImageMetadata(pinned);
    assert.equal((plain.environment as DockerEnvironment).serialize().metadata.image, "127.0.0.1:5000/etl:v1");
    assert.equal((pinned.environment as DockerEnvironment).serialize().metadata.image, "mine:2");
    const local = flow("meta-local", { storage: new LocalStorage(), environment: new LocalEnvironment() }, () => t());
    applyImageMetadata(local);
    assert.deepEqual((local.environment as LocalEnvironment).serialize().metadata, {});
  });

  it("puts each flow into its storage once and groups flows by storage", () => {
    const shared = new DockerStorage();
    const a = flow("group-a", { storage: shared }, () => t());
    const b = flow("group-b", { storage: shared }, () => t());
    const c = flow("group-c", { storage: new LocalStorage() }, () => t());
    const d = flow("group-d", {}, () => t());
    const groups = storagesOf([a, b, c, d]);
    assert.deepEqual(
      groups.map((g) => g.flows.map((f) => f.name)),
      [["group-a", "group-b"], ["group-c"]],
    );
    assert.deepEqual(shared.flowNames, ["group-a", "group-b"]);
    assert.deepEqual(
      storagesOf([a]).map((g) => g.storage),
      [shared],
      "adding again is a no-op",
    );
  });

  it("refuses two different flows of one name in one storage", () => {
    const shared = new DockerStorage();
    const one = flow("twin", { storage: shared }, () => t());
    const two = flow("twin", { storage: shared }, () => t());
    assert.throws(
      () => storagesOf([one, two]),
      (e: unknown) => e instanceof SluiceError && e.code === "CONFLICT",
    );
  });
});
