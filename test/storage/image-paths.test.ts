/**
 * The files a flow's environment reads at construction travel in its image at the same absolute path, and
 * paths a flow module computes inside its image (relative to itself or to the working directory) are
 * mapped back to the building machine's. No Docker needed: the build context is written and inspected;
 * test/platforms/kubernetes/docker-mode.test.ts builds the seeds' example image and runs it.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import type { SluiceError } from "../../src/core/errors.js";
import { declaredImageFiles, imageCopies } from "../../src/storage/docker/environment-files.js";
import { writeFlowContext } from "../../src/storage/docker/flow-context.js";
import { buildMachineCandidates, pathInImage, type ImageOrigins } from "../../src/storage/docker/image-paths.js";
import { removeDir, scratchDir, writeFiles } from "./support.js";

const origins: ImageOrigins = {
  workingDirectory: "/home/me/project",
  modules: {
    "/opt/sluice/flows/flow-1a2b3c4d.mjs": ["/home/me/project/flows/k8s/flow.ts", "/home/me/project/flows/lib/envs.ts"],
    "/opt/sluice/flows/other-5e6f7a8b.mjs": ["/home/me/project/other/other.ts"],
  },
};
const inImage =
  (...files: string[]) =>
  (path: string): boolean =>
    files.includes(path);

describe("paths inside a flow image", () => {
  it("maps a path relative to a bundle back beside each module bundled there, and a cwd-relative one under the build's directory", () => {
    assert.deepEqual(buildMachineCandidates("/opt/sluice/flows/job_spec.yaml", origins, "/app").sort(), [
      "/home/me/project/flows/k8s/job_spec.yaml",
      "/home/me/project/flows/lib/job_spec.yaml",
      "/home/me/project/other/job_spec.yaml",
    ]);
    assert.deepEqual(buildMachineCandidates("/app/specs/job.yaml", origins, "/app"), ["/home/me/project/specs/job.yaml"]);
    assert.deepEqual(buildMachineCandidates("/etc/elsewhere.yaml", origins, "/app"), []);
  });

  it("keeps the one candidate the image holds; an existing path or a process outside an image is left alone", () => {
    const spec = "/home/me/project/flows/k8s/job_spec.yaml";
    assert.equal(pathInImage("/opt/sluice/flows/job_spec.yaml", { origins, cwd: "/app", exists: inImage(spec) }), spec);
    assert.equal(pathInImage("/app/flows/k8s/job_spec.yaml", { origins, cwd: "/app", exists: inImage(spec) }), spec);
    assert.equal(pathInImage(spec, { origins, cwd: "/app", exists: inImage(spec) }), spec);
    assert.equal(pathInImage("/opt/sluice/flows/missing.yaml", { origins, cwd: "/app", exists: inImage(spec) }), "/opt/sluice/flows/missing.yaml");
    // This test process runs in no flow image: nothing to map.
    assert.equal(pathInImage("/no/such/dir/job_spec.yaml"), "/no/such/dir/job_spec.yaml");
  });

  it("two files the path could stand for are an error naming both", () => {
    const a = "/home/me/project/flows/k8s/job_spec.yaml";
    const b = "/home/me/project/other/job_spec.yaml";
    assert.throws(
      () => pathInImage("/opt/sluice/flows/job_spec.yaml", { origins, cwd: "/app", exists: inImage(a, b) }),
      (e: SluiceError) =>
        e.code === "STORAGE_ERROR" && e.message.includes(a) && e.message.includes(b) && /name no other flow module in the image uses/.test(e.message),
    );
  });
});

describe("files the flows' environments need", () => {
  const flowWith = (name: string, imageFiles: unknown) => ({ name, environment: { imageFiles } as { imageFiles?: readonly string[] } });

  it("are copied at their own path, once, after the user's files", () => {
    const copies = imageCopies({ "/data/x.csv": "/opt/data/x.csv" }, [
      flowWith("a", ["/proj/job_spec.yaml"]),
      flowWith("b", ["/proj/job_spec.yaml", "/proj/worker_pod.yaml"]),
      { name: "c" },
      flowWith("d", undefined),
    ]);
    assert.deepEqual(copies, [
      { source: "/data/x.csv", destination: "/opt/data/x.csv" },
      { source: "/proj/job_spec.yaml", destination: "/proj/job_spec.yaml" },
      { source: "/proj/worker_pod.yaml", destination: "/proj/worker_pod.yaml" },
    ]);
    // the user's files may copy the same file to the same place
    assert.equal(imageCopies({ "/proj/job_spec.yaml": "/proj/job_spec.yaml" }, [flowWith("a", ["/proj/job_spec.yaml"])]).length, 1);
  });

  it("a user's file landing on a declared file's path is a conflict; a declaration that is not a list of absolute paths is an error naming the flow", () => {
    assert.throws(
      () => imageCopies({ "/mine/other.yaml": "/proj/job_spec.yaml" }, [flowWith("a", ["/proj/job_spec.yaml"])]),
      (e: SluiceError) => e.code === "CONFLICT" && e.field === "files./mine/other.yaml",
    );
    assert.throws(
      () => declaredImageFiles(flowWith("etl", { "/a": "/b" })),
      (e: SluiceError) => e.field === "environment.imageFiles" && /flow "etl"/.test(e.message),
    );
    assert.throws(() => declaredImageFiles(flowWith("etl", ["job_spec.yaml"])), /"job_spec\.yaml", which is not an absolute path/);
  });

  it("the build context holds them at their path and records where every bundled module came from", { timeout: 60_000 }, async () => {
    const dir = scratchDir("image-paths");
    try {
      const module = writeFiles(dir, {
        "src/flow.ts": 'import { spec } from "./lib/spec.js";\nexport const where = spec;\n',
        "src/lib/spec.ts": 'export const spec = new URL("./job_spec.yaml", import.meta.url).href;\n',
        "src/lib/job_spec.yaml": "apiVersion: batch/v1\nkind: Job\n",
      });
      const spec = join(dirname(module), "lib", "job_spec.yaml");
      const context = join(dir, "context");
      await writeFlowContext({
        dir: context,
        from: "sluice-runtime:test",
        modules: new Map([[module, "flow-abc.mjs"]]),
        manifest: { sluiceVersion: "test", flows: [{ name: "f", module: "/opt/sluice/flows/flow-abc.mjs" }] },
        dependencies: [],
        files: imageCopies({}, [flowWith("f", [spec])]),
        workingDirectory: dir,
        env: {},
        healthCheck: true,
      });
      const recorded = JSON.parse(readFileSync(join(context, "flows", "origins.json"), "utf8")) as ImageOrigins;
      assert.deepEqual(recorded, { workingDirectory: dir, modules: { "/opt/sluice/flows/flow-abc.mjs": [module, join(dirname(module), "lib", "spec.ts")] } });
      const dockerfile = readFileSync(join(context, "Dockerfile"), "utf8");
      assert.ok(dockerfile.includes(`COPY ${JSON.stringify(["files/0", spec])}`), dockerfile);
      assert.equal(readFileSync(join(context, "files", "0"), "utf8"), "apiVersion: batch/v1\nkind: Job\n");
      // In the image, the helper's URL points beside the bundle; it maps back to the spec's own path.
      assert.equal(pathInImage("/opt/sluice/flows/job_spec.yaml", { origins: recorded, cwd: "/app", exists: (p) => p === spec }), spec);
      assert.ok(existsSync(join(context, "flows", "flow-abc.mjs")));
    } finally {
      removeDir(dir);
    }
  });
});
