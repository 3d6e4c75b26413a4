import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { flow, task, DockerStorage, SluiceError, SLUICE_VERSION, deserializeStorage, isFlow } from "sluice";
import { bundleFileName } from "../../src/storage/docker/bundle.js";
import { removeDir, scratchDir, writeFiles } from "./support.js";

const here = fileURLToPath(import.meta.url);
const noop = task("noop", async () => 1);
const flowA = flow("storage-a", {}, () => noop());
const flowB = flow("storage-b", {}, () => noop());
const otherA = flow("storage-a", {}, () => noop());

const invalid = (field: string, message?: RegExp) => (e: unknown) =>
  e instanceof SluiceError && e.code === "INVALID_OPTION" && e.field === field && (message === undefined || message.test(e.message));

describe("DockerStorage options (bad input)", () => {
  it("refuses baseImage and dockerfile together", () => {
    assert.throws(() => new DockerStorage({ baseImage: "node:20-slim", dockerfile: "./Dockerfile" }), invalid("baseImage", /give one/));
  });

  it("refuses a relative files source, and a destination that is not an absolute image path", () => {
    assert.throws(() => new DockerStorage({ files: { "data/config.json": "/opt/config.json" } }), invalid("files.data/config.json", /absolute path/));
    assert.throws(() => new DockerStorage({ files: { [here]: "relative/place" } }), invalid(`files.${here}`, /absolute path in the image/));
  });

  it("refuses a files source that does not exist, when building and before calling the engine", async () => {
    const storage = new DockerStorage({ files: { "/no/such/file.json": "/opt/file.json" } });
    storage.addFlow(flowA);
    await assert.rejects(storage.build(), invalid("files./no/such/file.json", /does not exist/));
  });

  it("refuses a dockerfile that does not exist, when building", async () => {
    const storage = new DockerStorage({ dockerfile: "/no/such/Dockerfile" });
    storage.addFlow(flowA);
    await assert.rejects(storage.build(), invalid("dockerfile", /does not exist/));
  });

  it("refuses invalid image names, tags and registries, naming the option", () => {
    assert.throws(() => new DockerStorage({ imageName: "My_Flow" }), invalid("imageName"));
    assert.throws(() => new DockerStorage({ imageTag: "-bad" }), invalid("imageTag"));
    assert.throws(() => new DockerStorage({ registryUrl: "https://127.0.0.1:5000" }), invalid("registryUrl", /scheme/));
  });

  it("refuses unknown options, non-string env values, env values with line breaks and reserved build options", () => {
    assert.throws(() => new DockerStorage({ registry: "x" } as never), invalid("options", /unknown option "registry"/));
    assert.throws(() => new DockerStorage({ env: { A: 1 as never } }), invalid("env.A"));
    assert.throws(() => new DockerStorage({ env: { A: "two\nlines" } }), invalid("env.A", /line breaks/));
    assert.throws(() => new DockerStorage({ buildOptions: { t: "other:tag" } }), invalid("buildOptions.t"));
  });

  it("refuses two different flows with the same name; the same flow again is a no-op", () => {
    const storage = new DockerStorage();
    const location = storage.addFlow(flowA);
    assert.equal(storage.addFlow(flowA), location);
    assert.throws(
      () => storage.addFlow(otherA),
      (e: unknown) => e instanceof SluiceError && e.code === "CONFLICT" && /storage-a/.test(e.message),
    );
  });

  it("refuses to build with no flow", async () => {
    await assert.rejects(
      new DockerStorage().build(),
      (e: unknown) => e instanceof SluiceError && e.code === "STORAGE_ERROR" && /holds no flow/.test(e.message),
    );
  });

  it("refuses a flow from a package that is not in dependencies", () => {
    assert.throws(
      () => new DockerStorage().addFlow({ name: "pkg-flow" }, "some-flows-package"),
      (e: unknown) => e instanceof SluiceError && e.field === "dependencies",
    );
    assert.equal(
      new DockerStorage({ dependencies: ["some-flows-package@1"] }).addFlow({ name: "pkg-flow" }, "some-flows-package"),
      `/opt/sluice/flows/${bundleFileName("some-flows-package")}`,
    );
  });
});

describe("DockerStorage without an engine", () => {
  it("locates each flow's module bundle in the image and serializes what the server may know", () => {
    const storage = new DockerStorage({
      registryUrl: "127.0.0.1:5000",
      imageName: "etl",
      imageTag: "v1",
      env: { SECRET: "x" },
      files: { [here]: "/opt/x.ts" },
    });
    storage.addFlow(flowA);
    storage.addFlow(flowB);
    const location = `/opt/sluice/flows/${bundleFileName(here)}`;
    assert.deepEqual(storage.locate("storage-b"), { module: location, flowName: "storage-b" });
    assert.equal(storage.image, "127.0.0.1:5000/etl:v1");
    const s = storage.serialize();
    assert.deepEqual(s, {
      type: "DockerStorage",
      version: SLUICE_VERSION,
      flows: { "storage-a": location, "storage-b": location },
      registryUrl: "127.0.0.1:5000",
      imageName: "etl",
      imageTag: "v1",
      image: "127.0.0.1:5000/etl:v1",
    });
    assert.doesNotMatch(JSON.stringify(s), /SECRET|opt\/x\.ts/, "no env values, no host paths of files");
  });

  it("deserializes, locates, and explains that the flow is in the image when loaded elsewhere", async () => {
    const storage = new DockerStorage({ imageName: "etl", imageTag: "v1" });
    storage.addFlow(flowA);
    const back = await deserializeStorage(JSON.parse(JSON.stringify(storage.serialize())));
    assert.equal(back.type, "DockerStorage");
    assert.deepEqual(back.serialize(), storage.serialize());
    await assert.rejects(
      back.loadFlow("storage-a"),
      (e: unknown) => e instanceof SluiceError && e.code === "STORAGE_ERROR" && /lives in the image etl:v1/.test(e.message),
    );
    await assert.rejects(back.loadFlow("nope"), (e: unknown) => e instanceof SluiceError && e.code === "NOT_FOUND");
    await assert.rejects(back.build(), (e: unknown) => e instanceof SluiceError && /deserialized/.test(e.message));
  });

  it("loads a flow from its bundle path when the process can see it (as inside the image)", async () => {
    const dir = scratchDir("storage");
    try {
      const module = writeFiles(dir, {
        "flows.mjs": `import { flow, task } from "sluice";\nexport const f = flow("in-image", {}, () => task("t", async () => 7)());\n`,
      });
      const storage = await deserializeStorage({
        type: "DockerStorage",
        version: SLUICE_VERSION,
        flows: { "in-image": module },
        imageName: "x",
        imageTag: "y",
      });
      const loaded = await storage.loadFlow("in-image");
      assert.ok(isFlow(loaded));
      assert.equal(loaded.name, "in-image");
    } finally {
      removeDir(dir);
    }
  });
});
