/**
 * DockerStorage against a real Docker engine: what bad input does at build time (an unreachable
 * registry, a missing base image, a flow that cannot load inside the image), the user's dockerfile,
 * and `sluice build` / `sluice run --environment docker` from the command line.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, it } from "node:test";
import Docker from "dockerode";
import { DockerStorage, SluiceError, type AnyFlow, type BuildOutput } from "sluice";
import { configSchema } from "../../src/config/schema.js";
import { loadFlows } from "../../src/core/load.js";
import { serviceSuite, services } from "../support/services.js";
import { spawnNode, type NodeResult } from "../support/spawn-node.js";
import { writeDockerFixture } from "../platforms/docker/docker-fixture.js";
import { removeDir, repoRoot, scratchDir, writeFiles } from "./support.js";

const docker = new Docker({ socketPath: services.dockerSocket });
const config = configSchema().parse({ docker: { host: services.dockerSocket } });
const tag = `t-${randomUUID().slice(0, 8)}`;
const images: string[] = [];
let dir = "";

/** A one-flow module in the scratch directory, with the given DockerStorage options (as source text). */
async function flowWithStorage(name: string, storageOptions: string, body = `task("t", async () => 1)()`, imports = ""): Promise<AnyFlow> {
  const module = writeFiles(dir, {
    [`${name}.ts`]: `import { flow, task, DockerStorage } from "sluice";\n${imports}\nexport const f = flow(${JSON.stringify(name)}, { storage: new DockerStorage(${storageOptions}) }, () => ${body});\n`,
  });
  const [loaded] = await loadFlows(module);
  return loaded!;
}

const lines = (): BuildOutput & { text: string[] } => {
  const text: string[] = [];
  return { text, line: (l) => text.push(l) };
};

async function build(flow: AnyFlow, push = false, output: BuildOutput = lines()): Promise<DockerStorage> {
  const storage = flow.storage as DockerStorage;
  storage.addFlow(flow);
  try {
    return await storage.build({ config, push, output });
  } finally {
    if (storage.image) images.push(storage.image);
  }
}

/** `sluice` from source, talking to the test's Docker engine. */
const sluice = (args: string[], timeoutMs: number): Promise<NodeResult> =>
  spawnNode(["--conditions=sluice-source", "bin/sluice.js", ...args], { SLUICE_DEV: "1", SLUICE__DOCKER__HOST: services.dockerSocket }, timeoutMs);

const base = JSON.stringify(services.nodeImage);

await serviceSuite(["docker", "registry"], "DockerStorage (real engine)", () => {
  before(
    async () => {
      dir = scratchDir("docker-storage");
      // Sluice's runtime image is built once here, so the tests below measure only their own builds.
      await build(await flowWithStorage("warm-up", `{ baseImage: ${base}, localImage: true, imageName: "sluice-test-warm-up", imageTag: "${tag}" }`));
    },
    { timeout: 15 * 60_000 },
  );

  after(async () => {
    for (const image of images)
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
    removeDir(dir);
  });

  it("labels the image with its flows and Sluice's version, and streams the build log", { timeout: 180_000 }, async () => {
    const output = lines();
    const storage = await build(await flowWithStorage("labelled", `{ baseImage: ${base}, localImage: true, imageTag: "${tag}" }`), false, output);
    assert.equal(storage.image, `labelled:${tag}`, "named after the flow's slug");
    const labels = (await docker.getImage(storage.image).inspect()).Config.Labels;
    assert.equal(labels["io.sluice.flows"], '["labelled"]');
    assert.equal(labels["io.sluice.version"], "0.1.0");
    assert.ok(
      output.text.some((l) => /^Step \d+\/\d+ : RUN \["sluice","execute","health-check"/.test(l)),
      "the health check ran",
    );
    assert.ok(output.text.some((l) => l === 'health check: flow "labelled" loads from /opt/sluice/flows/labelled-' + l.split("labelled-")[1]));
  });

  it("fails the build with the load error when a flow cannot load inside the image", { timeout: 180_000 }, async () => {
    // typescript is a dev dependency: present here, absent from the image.
    const flow = await flowWithStorage(
      "unloadable",
      `{ baseImage: ${base}, localImage: true, imageTag: "${tag}" }`,
      `task("t", async () => ts.version)()`,
      'import ts from "typescript";',
    );
    await assert.rejects(
      build(flow),
      (e: unknown) =>
        e instanceof SluiceError &&
        e.code === "BUILD_FAILED" &&
        /health check in the image could not load flow "unloadable"/.test(e.message) &&
        /Cannot find package 'typescript'/.test(e.message),
    );
    const skipped = await flowWithStorage(
      "unloadable-unchecked",
      `{ baseImage: ${base}, localImage: true, imageTag: "${tag}", ignoreHealthchecks: true }`,
      `task("t", async () => ts.version)()`,
      'import ts from "typescript";',
    );
    assert.equal((await build(skipped)).image, `unloadable-unchecked:${tag}`, "ignoreHealthchecks skips the check");
  });

  it("stores a flow of an npm package from dependencies: the image re-exports it and the health check loads it", { timeout: 180_000 }, async () => {
    writeFiles(dir, {
      "pkgs/flow-pack/package.json": JSON.stringify({ name: "flow-pack", version: "1.0.0", type: "module", exports: "./index.js" }),
      "pkgs/flow-pack/index.js": 'import { flow, task } from "sluice";\nexport const packed = flow("packed", {}, () => task("t", async () => 1)());\n',
    });
    const storage = new DockerStorage({ baseImage: services.nodeImage, localImage: true, imageTag: tag, dependencies: [`${dir}/pkgs/flow-pack`] });
    storage.addFlow({ name: "packed" }, "flow-pack");
    const output = lines();
    try {
      await storage.build({ config, push: false, output });
    } finally {
      if (storage.image) images.push(storage.image);
    }
    assert.ok(
      output.text.some((l) => /^health check: flow "packed" loads from \/opt\/sluice\/flows\/flow-pack-[0-9a-f]{8}\.mjs$/.test(l)),
      output.text.join("\n"),
    );
  });

  it("names the registry and carries the engine's error when the registry is unreachable", { timeout: 180_000 }, async () => {
    const flow = await flowWithStorage("unreachable", `{ baseImage: ${base}, localImage: true, registryUrl: "127.0.0.1:9", imageTag: "${tag}" }`);
    await assert.rejects(
      build(flow, true),
      (e: unknown) =>
        e instanceof SluiceError && e.field === "registryUrl" && /to registry 127\.0\.0\.1:9 failed: .*(connection refused|connect)/.test(e.message),
    );
  });

  it("refuses a base image that does not exist locally, or cannot be pulled, naming it", { timeout: 120_000 }, async () => {
    const local = await flowWithStorage("no-base-local", `{ baseImage: "sluice-no-such-base:1", localImage: true }`);
    await assert.rejects(
      build(local),
      (e: unknown) => e instanceof SluiceError && e.field === "baseImage" && /sluice-no-such-base:1 does not exist .* localImage is true/.test(e.message),
    );
    const pulled = await flowWithStorage("no-base-pull", `{ baseImage: "127.0.0.1:9/sluice-no-such-base:1" }`);
    await assert.rejects(
      build(pulled),
      (e: unknown) =>
        e instanceof SluiceError &&
        e.field === "baseImage" &&
        /127\.0\.0\.1:9\/sluice-no-such-base:1 does not exist locally and pulling it failed: .+/.test(e.message),
    );
  });

  it("builds FROM the user's dockerfile, its directory as the context", { timeout: 15 * 60_000 }, async () => {
    writeFiles(dir, {
      "user-base/Dockerfile": `FROM ${services.nodeImage}\nENV FROM_USER_DOCKERFILE=yes\nCOPY marker.txt /opt/marker.txt\n`,
      "user-base/marker.txt": "marker\n",
    });
    const flow = await flowWithStorage("user-dockerfile", `{ dockerfile: ${JSON.stringify(`${dir}/user-base/Dockerfile`)}, imageTag: "${tag}" }`);
    const storage = await build(flow);
    const inspected = await docker.getImage(storage.image!).inspect();
    assert.ok(inspected.Config.Env.includes("FROM_USER_DOCKERFILE=yes"));
  });

  it("`sluice build` builds every flow's storage and prints the image; no storage is exit 2", { timeout: 10 * 60_000 }, async () => {
    const cliDir = scratchDir("docker-cli");
    try {
      const fixture = writeDockerFixture(cliDir, "sluice-test-cli", tag);
      images.push(`${services.registry}/sluice-test-cli:${tag}`);
      const built = await sluice(["build", fixture.module, "--no-push", "--json"], 10 * 60_000);
      assert.equal(built.code, 0, built.stderr);
      const report = JSON.parse(built.stdout) as { built: { type: string; image: string; flows: string[] }[] };
      assert.deepEqual(
        report.built.map((b) => [b.type, b.image, [...b.flows].sort()]),
        [["DockerStorage", `${services.registry}/sluice-test-cli:${tag}`, ["docker-failing", "docker-sleepy", "docker-story"]]],
      );
      assert.match(built.stderr, /Building image /);

      const ran = await sluice(["run", fixture.module, "--flow", "docker-story", "--environment", "docker", "--param", "name=cli"], 5 * 60_000);
      assert.equal(ran.code, 0, ran.stderr);
      assert.match(ran.stdout, /\[HELLO, CLI\]/);

      const reused = await sluice(
        ["run", fixture.module, "--flow", "docker-failing", "--environment", "docker", "--image", `${services.registry}/sluice-test-cli:${tag}`],
        2 * 60_000,
      );
      assert.equal(reused.code, 1, "a failed run exits 1");
      assert.doesNotMatch(reused.stderr, /Building image/, "--image reuses the image");
      assert.match(reused.stdout, /broken on purpose in the container/);

      const noStorage = await sluice(["build", `${repoRoot}/test/platforms/fixtures/local-flow.ts`], 60_000);
      assert.equal(noStorage.code, 2);
      assert.match(noStorage.stderr, /has storage, so there is nothing to build/);
    } finally {
      removeDir(cliDir);
    }
  });
});
