/**
 * The cached "Sluice runtime" images that flow images build FROM, so a flow build sends only the flow's
 * own files to the engine:
 *
 *   base image ─► sluice-runtime-deps:<key>  Sluice's production node_modules (keyed by base image id + package versions)
 *              ─► sluice-runtime:<key>       Sluice's package.json, bin/ and dist/ (keyed by the deps image + their content)
 *
 * In the image, Sluice and its packages are in /opt/sluice/node_modules (so flows in /opt/sluice/flows
 * import "sluice" and Sluice's own packages, such as zod, like in a project), and the `sluice` command
 * is on the PATH.
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import type { Readable } from "node:stream";
import type { Headers } from "tar-fs";
import type { Pack } from "tar-stream";
import { SluiceError } from "../../core/errors.js";
import type { BuildOutput } from "../../core/storage.js";
import { BuildError, type DockerEngine } from "./engine.js";
import { ensureDist, runtimePackages, sluiceRoot, sluiceVersion } from "./sluice-package.js";
import { tarFs } from "./tar.js";

/** Where Sluice lives in images. */
export const IMAGE_APP_DIR = "/opt/sluice/node_modules/sluice";
/** Label on every image Sluice builds: which kind of image it is ("runtime-deps", "runtime", "flow"). */
export const LABEL_KIND = "io.sluice.image";
export const LABEL_VERSION = "io.sluice.version";

/**
 * Puts the `sluice` command on the PATH (a /bin/sh wrapper, as base images may have no /usr/bin/env),
 * with Node only: base images may have no shell tools.
 */
const LINK_SCRIPT = [
  'const fs = require("node:fs");',
  'fs.mkdirSync("/opt/sluice/flows", { recursive: true });',
  `fs.chmodSync("${IMAGE_APP_DIR}/bin/sluice.js", 0o755);`,
  'fs.mkdirSync("/usr/local/bin", { recursive: true });',
  `fs.writeFileSync("/usr/local/bin/sluice", '#!/bin/sh\\nexec node ${IMAGE_APP_DIR}/bin/sluice.js "$@"\\n', { mode: 0o755 });`,
].join(" ");

/** Bump when the layout of the runtime images changes, so old cached images are not reused. */
const LAYOUT = "layout-3";

const key = (...parts: string[]): string => createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 16);

/** Files of the app part (package.json, bin/, dist/ without declarations and maps). */
function appFiles(root: string): string[] {
  const out = ["package.json"];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (!/\.d\.ts$|\.map$|\.d\.ts\.map$|^\.sluice-build-stamp$/.test(entry.name)) out.push(rel);
    }
  };
  walk("bin");
  walk("dist");
  return out.sort();
}

/** The deepest directory that holds every path (the parent of the only path when there is one). */
function commonDirectory(paths: readonly string[]): string {
  let common = dirname(paths[0] ?? "/");
  for (const path of paths) {
    while (path !== common && !path.startsWith(common.endsWith(sep) ? common : common + sep)) common = dirname(common);
  }
  return common;
}

/** A tar stream of `entries` (relative to `cwd`), renamed by `rename`, plus a generated Dockerfile. */
async function contextTar(
  cwd: string,
  entries: string[],
  rename: (name: string) => string,
  dockerfile: string,
  ignore?: (path: string) => boolean,
): Promise<Readable> {
  const { pack } = await tarFs();
  return pack(cwd, {
    entries,
    ...(ignore ? { ignore } : {}),
    map: (header: Headers) => {
      header.name = rename(header.name);
      return header;
    },
    finalize: false,
    finish: (p: Pack) => {
      p.entry({ name: "Dockerfile", mode: 0o644 }, dockerfile);
      p.finalize();
    },
  }) as unknown as Readable;
}

async function buildOrFail(
  engine: DockerEngine,
  what: string,
  context: Readable,
  tag: string,
  labels: Record<string, string>,
  output?: BuildOutput,
): Promise<void> {
  try {
    await engine.build(context, { t: tag, labels, rm: true, forcerm: true }, output);
  } catch (error) {
    const detail = error instanceof BuildError ? error.engineError : (error as Error).message;
    throw new SluiceError("BUILD_FAILED", `building the ${what} image ${tag} failed: ${detail}`, { kind: "docker", cause: error });
  }
}

/**
 * Returns the runtime image for `baseImage` (which must exist in the engine), building the missing
 * layers. Building Sluice's dist/ first when this is a source checkout whose dist is stale.
 */
export async function ensureRuntimeImage(engine: DockerEngine, baseImage: string, output?: BuildOutput): Promise<string> {
  const root = sluiceRoot();
  await ensureDist(root, output);
  const base = await engine.inspectImage(baseImage);
  if (!base) throw new SluiceError("BUILD_FAILED", `base image ${baseImage} is not in the Docker engine`, { field: "baseImage", value: baseImage });
  const version = sluiceVersion(root);

  const packages = runtimePackages(root);
  const depsTag = `sluice-runtime-deps:${key(LAYOUT, base.Id, ...packages.map((p) => `${p.target} ${p.id}`))}`;
  if (!(await engine.inspectImage(depsTag))) {
    output?.line(`Building Sluice's runtime dependencies image ${depsTag} (${packages.length} packages; done once per base image and lockfile)`);
    const top = commonDirectory(packages.map((p) => p.source));
    const byPath = packages.map((p) => ({ from: relative(top, p.source).split(sep).join("/"), to: p.target }));
    const rename = (name: string): string => {
      const hit = byPath.find((p) => name === p.from || name.startsWith(`${p.from}/`));
      return hit ? hit.to + name.slice(hit.from.length) : name;
    };
    const dockerfile = [`FROM ${baseImage}`, "COPY node_modules /opt/sluice/node_modules"].join("\n");
    const context = await contextTar(
      top,
      byPath.map((p) => p.from),
      rename,
      `${dockerfile}\n`,
    );
    await buildOrFail(engine, "runtime dependencies", context, depsTag, { [LABEL_KIND]: "runtime-deps", [LABEL_VERSION]: version }, output);
  }

  const files = appFiles(root);
  const hash = createHash("sha256");
  for (const file of files) hash.update(file).update(readFileSync(join(root, file)));
  const runtimeTag = `sluice-runtime:${key(depsTag, hash.digest("hex"))}`;
  if (!(await engine.inspectImage(runtimeTag))) {
    output?.line(`Building Sluice's runtime image ${runtimeTag}`);
    const dockerfile = [
      `FROM ${depsTag}`,
      `COPY app ${IMAGE_APP_DIR}`,
      `RUN ${JSON.stringify(["node", "-e", LINK_SCRIPT])}`,
      `RUN ["sluice", "--version"]`,
    ].join("\n");
    const wanted = new Set(files);
    const context = await contextTar(
      root,
      ["package.json", "bin", "dist"],
      (name) => `app/${name}`,
      `${dockerfile}\n`,
      (path) => {
        const rel = relative(root, path).split(sep).join("/");
        return statSync(path).isFile() && !wanted.has(rel);
      },
    );
    await buildOrFail(engine, "runtime", context, runtimeTag, { [LABEL_KIND]: "runtime", [LABEL_VERSION]: version }, output);
  }
  return runtimeTag;
}
