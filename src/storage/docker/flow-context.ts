/**
 * Writes the build context of a flow image into a directory: the flow bundles and their manifest, the
 * flows' npm dependencies (installed here, on the building machine, since builds may have no network),
 * the user's files and the files the flows' environments need, where the modules came from (origins.json),
 * and the Dockerfile.
 */
import { spawn } from "node:child_process";
import { cp, mkdir, writeFile } from "node:fs/promises";
import { basename, isAbsolute, join } from "node:path";
import { SluiceError } from "../../core/errors.js";
import type { BuildOutput } from "../../core/storage.js";
import { bundleModule } from "./bundle.js";
import { IMAGE_FLOWS_DIR, flowDockerfile } from "./dockerfile.js";
import type { ImageCopy } from "./environment-files.js";
import type { FlowManifest } from "./healthcheck.js";
import { IMAGE_ORIGINS, type ImageOrigins } from "./image-paths.js";

export interface FlowContextInput {
  /** An empty directory to write the context into. */
  dir: string;
  /** The image to build FROM. */
  from: string;
  /** Modules to bundle (absolute source path) or re-export (package specifier) → file name under flows/. */
  modules: Map<string, string>;
  manifest: FlowManifest;
  /** npm install specs. */
  dependencies: readonly string[];
  /** Files and directories to copy: absolute source path on this machine → absolute path in the image. */
  files: readonly ImageCopy[];
  /** The build's working directory on this machine (recorded with the modules' origins, for paths the modules compute in the image). */
  workingDirectory: string;
  env: Readonly<Record<string, string>>;
  healthCheck: boolean;
  output?: BuildOutput;
}

/** Installs npm packages into `<dir>/node_modules` (production only, local paths copied, not linked). */
export function installDependencies(dir: string, specs: readonly string[], output?: BuildOutput): Promise<void> {
  return new Promise((resolve, reject) => {
    output?.line(`Installing flow dependencies: npm install ${specs.join(" ")}`);
    const args = ["install", "--omit=dev", "--no-audit", "--no-fund", "--no-package-lock", "--install-links", "--loglevel=error", ...specs];
    const child = spawn("npm", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    const collect = (d: Buffer): void => {
      text += d.toString();
      for (const line of d.toString().split("\n")) if (line.trim()) output?.line(`npm: ${line}`);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", (cause) =>
      reject(
        new SluiceError("BUILD_FAILED", `cannot run npm to install the flows' dependencies: ${cause.message}; install npm or remove dependencies`, {
          field: "dependencies",
          cause,
        }),
      ),
    );
    child.on("close", (code) => {
      if (code === 0) return resolve();
      const tail = text.trim().split("\n").slice(-15).join("\n");
      reject(new SluiceError("BUILD_FAILED", `npm install ${specs.join(" ")} failed (exit ${code}):\n${tail}`, { field: "dependencies", value: specs }));
    });
  });
}

export async function writeFlowContext(input: FlowContextInput): Promise<void> {
  const flowsDir = join(input.dir, "flows");
  await mkdir(flowsDir, { recursive: true });
  const origins: ImageOrigins = { workingDirectory: input.workingDirectory, modules: {} };
  for (const [source, bundle] of input.modules) {
    if (isAbsolute(source)) {
      input.output?.line(`Bundling ${source} → flows/${bundle}`);
      origins.modules[`${IMAGE_FLOWS_DIR}/${bundle}`] = await bundleModule(source, join(flowsDir, bundle));
    } else {
      // A package (from dependencies): re-export it from flows/, where its node_modules resolve.
      const specifier = JSON.stringify(source);
      await writeFile(join(flowsDir, bundle), `export * from ${specifier};\nimport * as all from ${specifier};\nexport default all.default;\n`);
    }
  }
  await writeFile(join(flowsDir, "manifest.json"), `${JSON.stringify(input.manifest, null, 2)}\n`);
  await writeFile(join(flowsDir, basename(IMAGE_ORIGINS)), `${JSON.stringify(origins, null, 2)}\n`);

  if (input.dependencies.length > 0) {
    const depsDir = join(input.dir, "deps");
    await mkdir(depsDir, { recursive: true });
    await writeFile(join(depsDir, "package.json"), `${JSON.stringify({ name: "sluice-flow-dependencies", private: true }, null, 2)}\n`);
    await installDependencies(depsDir, input.dependencies, input.output);
  }

  const files: { contextPath: string; destination: string }[] = [];
  let index = 0;
  for (const { source, destination } of input.files) {
    const contextPath = `files/${index++}`;
    await cp(source, join(input.dir, contextPath), { recursive: true, dereference: true });
    files.push({ contextPath, destination });
  }

  const dockerfile = flowDockerfile({
    from: input.from,
    env: { ...input.env },
    dependencies: input.dependencies.length > 0,
    files,
    healthCheck: input.healthCheck,
  });
  await writeFile(join(input.dir, "Dockerfile"), dockerfile);
}
