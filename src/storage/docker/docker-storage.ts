/**
 * DockerStorage: the flows' code lives in a Docker image. `build()` builds the image through
 * the Docker Engine API from Sluice's cached runtime image (itself FROM `baseImage` or the user's
 * `dockerfile`), with the flow modules bundled, their npm `dependencies`, the `files` and the `env`;
 * a health check in the image loads every flow and fails the build with the load error; the image is
 * pushed when a registry is set. Inside the image, `loadFlow(name)` imports the flow from its bundle.
 * The files each flow's environment reads at construction (`environment.imageFiles`, e.g. a job spec)
 * are copied in at the same absolute path, and the image records where its modules came from, so the
 * module finds them there as it did here (see image-paths.ts).
 *
 * ```ts
 * const storage = new DockerStorage({ registryUrl: "127.0.0.1:5000", dependencies: ["lodash@4"] });
 * export const etl = flow("etl", { storage, environment: new DockerEnvironment() }, () => { ... });
 * // sluice build flows/etl.ts   → 127.0.0.1:5000/etl:2026-11-22t10-15-30-123z
 * ```
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { defaultConfig } from "../../config/defaults.js";
import { SluiceError, showValue } from "../../core/errors.js";
import type { FlowLocator } from "../../core/executor.js";
import type { AnyFlow } from "../../core/flow.js";
import { loadFlow, resolveModule } from "../../core/load.js";
import type { SerializedStorage, StorableFlow, Storage, StorageBuildOptions } from "../../core/storage.js";
import { SLUICE_VERSION } from "../../core/version.js";
import { bundleFileName } from "./bundle.js";
import { IMAGE_FLOWS_DIR } from "./dockerfile.js";
import { imageCopies, withModuleSiblings } from "./environment-files.js";
import type { FlowManifest } from "./healthcheck.js";
import { defaultImageName, fullImageName, timestampTag } from "./naming.js";
import { checkDockerStorageSources, compileDockerStorageOptions, type CompiledDockerStorageOptions, type DockerStorageOptions } from "./options.js";

/** Image label listing the flows an image holds (JSON array of names). */
export const LABEL_FLOWS = "io.sluice.flows";

interface StoredFlow {
  /** The flow object, when added in this process (a second, different flow of the same name is an error). */
  flow: StorableFlow | undefined;
  /** Absolute path on the building machine, or a package specifier; undefined when deserialized. */
  source: string | undefined;
  /** Where the module is in the image. */
  location: string;
}

/** The package name of an import specifier ("@team/etl/flows" → "@team/etl") or an npm install spec ("lodash@4" → "lodash"). */
function packageName(spec: string): string {
  const parts = spec.split("/");
  const name = spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
  const at = name.indexOf("@", 1);
  return at > 0 ? name.slice(0, at) : name;
}

/** The names of the packages `npm install <specs>` installs (a local folder's from its package.json). */
function dependencyNames(specs: readonly string[]): string[] {
  return specs.map((spec) => {
    const path = spec.startsWith("file:") ? spec.slice(5) : spec;
    if (isAbsolute(path) || path.startsWith(".")) {
      try {
        return (JSON.parse(readFileSync(join(path, "package.json"), "utf8")) as { name?: string }).name ?? spec;
      } catch {
        return spec;
      }
    }
    return packageName(spec);
  });
}

export class DockerStorage implements Storage {
  static readonly serializedType = "DockerStorage";
  readonly type = "DockerStorage";
  readonly options: CompiledDockerStorageOptions;
  /** The registry images are pushed to. */
  readonly registryUrl: string | undefined;
  /** Set by build(), or given by the user. */
  imageName: string | undefined;
  /** Set by build(), or given by the user. */
  imageTag: string | undefined;
  /** Digest of the pushed image, after a build that pushed. */
  digest: string | undefined;
  readonly #flows = new Map<string, StoredFlow>();

  constructor(options: DockerStorageOptions = {}) {
    this.options = compileDockerStorageOptions(options);
    this.registryUrl = this.options.registryUrl;
    this.imageName = this.options.imageName;
    this.imageTag = this.options.imageTag;
  }

  /** Rebuilds a storage from `serialize()`'s output: it can locate and load its flows (inside its image), not build. */
  static fromSerialized(serialized: SerializedStorage): DockerStorage {
    const field = (name: string): string | undefined => {
      const value = serialized[name];
      if (value === undefined || value === null) return undefined;
      if (typeof value !== "string")
        throw new SluiceError("INVALID_INPUT", `serialized DockerStorage: ${name} is ${showValue(value)}; expected a string`, { field: name, value });
      return value;
    };
    const given: DockerStorageOptions = {};
    const registryUrl = field("registryUrl");
    const imageName = field("imageName");
    const imageTag = field("imageTag");
    if (registryUrl !== undefined) given.registryUrl = registryUrl;
    if (imageName !== undefined) given.imageName = imageName;
    if (imageTag !== undefined) given.imageTag = imageTag;
    const storage = new DockerStorage(given);
    for (const [flowName, location] of Object.entries(serialized.flows ?? {})) {
      storage.#flows.set(flowName, { flow: undefined, source: undefined, location });
    }
    return storage;
  }

  get flowNames(): readonly string[] {
    return [...this.#flows.keys()];
  }

  /** The full image name (registry/name:tag) once built, or when the user gave both name and tag. */
  get image(): string | undefined {
    return this.imageName && this.imageTag ? fullImageName(this.registryUrl, this.imageName, this.imageTag) : undefined;
  }

  contains(flowName: string): boolean {
    return this.#flows.has(flowName);
  }

  addFlow(flow: StorableFlow, module?: string): string {
    if (typeof flow?.name !== "string") {
      throw new SluiceError("INVALID_INPUT", `DockerStorage.addFlow: ${showValue(flow)} is not a flow; pass a flow made by flow(name, ...)`, { field: "flow" });
    }
    const given = module ?? flow.module ?? undefined;
    if (!given) {
      throw new SluiceError("STORAGE_ERROR", `DockerStorage: the module of flow "${flow.name}" is unknown; pass it: storage.addFlow(flow, import.meta.url)`, {
        field: "module",
      });
    }
    const resolved = resolveModule(given.startsWith("file:") ? fileURLToPath(given) : given);
    const source = resolved.kind === "file" ? resolved.path : resolved.specifier;
    const existing = this.#flows.get(flow.name);
    if (existing) {
      if (existing.flow === flow && existing.source === source) return existing.location;
      throw new SluiceError(
        "CONFLICT",
        `DockerStorage already holds a flow named "${flow.name}"${existing.source ? ` (from ${existing.source})` : ""}; flows in one storage need unique names: rename one, or give it its own storage`,
        { field: "flow", value: flow.name },
      );
    }
    if (resolved.kind === "package" && !dependencyNames(this.options.dependencies).includes(packageName(source))) {
      throw new SluiceError(
        "STORAGE_ERROR",
        `DockerStorage: flow "${flow.name}" comes from the package ${source}; add it to dependencies so the image can import it`,
        { field: "dependencies", value: source },
      );
    }
    // A package's flows get a small module in flows/ that re-exports the package, so it resolves from the flows' node_modules.
    const location = `${IMAGE_FLOWS_DIR}/${bundleFileName(source)}`;
    this.#flows.set(flow.name, { flow, source, location });
    return location;
  }

  locate(flowName: string): FlowLocator {
    const stored = this.#flows.get(flowName);
    if (!stored) {
      throw new SluiceError(
        "NOT_FOUND",
        `DockerStorage holds no flow named "${flowName}" (it holds: ${this.flowNames.map((n) => `"${n}"`).join(", ") || "none"})`,
        {
          field: "flow",
          value: flowName,
        },
      );
    }
    return { module: stored.location, flowName };
  }

  async loadFlow(flowName: string): Promise<AnyFlow> {
    const locator = this.locate(flowName);
    if (isAbsolute(locator.module) && !existsSync(locator.module)) {
      throw new SluiceError(
        "STORAGE_ERROR",
        `flow "${flowName}" lives in the image ${this.image ?? "(not built yet)"} at ${locator.module}, which this process cannot see; ` +
          "load it inside that image (the docker environment kind, a Docker agent, or `docker run <image> sluice execute flow ...`)",
        { field: "flow", value: flowName },
      );
    }
    return loadFlow(locator);
  }

  serialize(): SerializedStorage {
    return {
      type: "DockerStorage",
      version: SLUICE_VERSION,
      flows: Object.fromEntries([...this.#flows].map(([name, stored]) => [name, stored.location])),
      registryUrl: this.registryUrl ?? null,
      imageName: this.imageName ?? null,
      imageTag: this.imageTag ?? null,
      image: this.image ?? null,
    };
  }

  /**
   * Builds the image (and pushes it when a registry is set and `push` is not false). Names it first:
   * the user's imageName/imageTag, else the flow's slug (or a UUID) and a UTC timestamp tag.
   */
  async build(options: StorageBuildOptions = {}): Promise<this> {
    if (this.#flows.size === 0) {
      throw new SluiceError(
        "STORAGE_ERROR",
        "DockerStorage holds no flow; give it to a flow (flow(name, { storage }, ...)) and build with `sluice build <file>`, or call storage.addFlow(flow)",
        {
          field: "flows",
        },
      );
    }
    const missing = [...this.#flows].filter(([, stored]) => stored.source === undefined).map(([name]) => name);
    if (missing.length > 0) {
      throw new SluiceError(
        "STORAGE_ERROR",
        `DockerStorage was deserialized: the source of ${missing.map((n) => `"${n}"`).join(", ")} is unknown here, so it cannot be built`,
        {
          field: "flows",
        },
      );
    }
    checkDockerStorageSources(this.options);
    const flows = [...this.#flows.values()].flatMap((stored) => (stored.flow ? [stored.flow] : []));
    const copies = imageCopies(this.options.files, withModuleSiblings(flows));
    for (const { source } of copies) {
      if (!existsSync(source)) {
        throw new SluiceError(
          "STORAGE_ERROR",
          `DockerStorage: ${source}, which a flow's environment reads, does not exist any more; the image cannot hold it`,
          {
            field: "environment.imageFiles",
            value: source,
          },
        );
      }
    }
    const config = options.config ?? defaultConfig();
    const output = options.output;
    const { DockerEngine, ensureBaseImage, ensureRuntimeImage, writeFlowContext, tarFs, LABEL_KIND, LABEL_VERSION } = await import("./image-build.js");
    const engine = await DockerEngine.connect(config.docker.host);
    const base = await ensureBaseImage(
      engine,
      {
        baseImage: this.options.baseImage,
        dockerfile: this.options.dockerfile,
        localImage: this.options.localImage,
        defaultBaseImage: config.docker.baseImage,
      },
      output,
    );
    const runtime = await ensureRuntimeImage(engine, base, output);
    const name = this.imageName ?? defaultImageName(this.flowNames);
    const tag = this.imageTag ?? timestampTag();
    const repository = this.registryUrl ? `${this.registryUrl}/${name}` : name;
    const reference = `${repository}:${tag}`;

    const modules = new Map<string, string>();
    const manifest: FlowManifest = { sluiceVersion: SLUICE_VERSION, flows: [] };
    for (const [flowName, stored] of this.#flows) {
      modules.set(stored.source!, stored.location.slice(IMAGE_FLOWS_DIR.length + 1));
      manifest.flows.push({ name: flowName, module: stored.location });
    }
    const dir = await mkdtemp(join(tmpdir(), "sluice-build-"));
    try {
      await writeFlowContext({
        dir,
        from: runtime,
        modules,
        manifest,
        dependencies: this.options.dependencies,
        files: copies,
        workingDirectory: process.cwd(),
        env: this.options.env,
        healthCheck: !this.options.ignoreHealthchecks,
        ...(output ? { output } : {}),
      });
      output?.line(`Building image ${reference}`);
      const { pack } = await tarFs();
      const labels = {
        ...((this.options.buildOptions.labels as Record<string, string> | undefined) ?? {}),
        [LABEL_KIND]: "flow",
        [LABEL_VERSION]: SLUICE_VERSION,
        [LABEL_FLOWS]: JSON.stringify(this.flowNames),
      };
      try {
        await engine.build(pack(dir) as unknown as Readable, { rm: true, forcerm: true, ...this.options.buildOptions, t: reference, labels }, output);
      } catch (error) {
        throw await this.#buildError(reference, error);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    this.imageName = name;
    this.imageTag = tag;
    output?.line(`Built image ${reference}`);
    if (this.registryUrl && options.push !== false) {
      this.digest = await engine.push(repository, tag, this.registryUrl, output);
      output?.line(`Pushed ${reference}${this.digest ? ` (${this.digest})` : ""}`);
    }
    return this;
  }

  async #buildError(reference: string, error: unknown): Promise<SluiceError> {
    const { BuildError, healthCheckFailures } = await import("./image-build.js");
    if (!(error instanceof BuildError))
      return error instanceof SluiceError ? error : new SluiceError("BUILD_FAILED", `building image ${reference} failed: ${String(error)}`, { cause: error });
    const failures = healthCheckFailures(error.log);
    if (failures.length > 0) {
      const list = failures.map((f) => `flow "${f.flow}" (${f.module}): ${f.error}`).join("; ");
      return new SluiceError("BUILD_FAILED", `building image ${reference} failed: the health check in the image could not load ${list}`, {
        field: "flows",
        value: failures.map((f) => f.flow),
        kind: "docker",
        cause: error,
      });
    }
    return new SluiceError("BUILD_FAILED", `building image ${reference} failed: ${error.engineError}`, { kind: "docker", cause: error });
  }
}
