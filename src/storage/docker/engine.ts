/**
 * A thin launcher over the Docker Engine API (dockerode, loaded on first use so that importing Sluice
 * never loads it). Pull, build and push output is streamed to a BuildOutput; failures carry the engine's
 * own error text, wrapped in a SluiceError that says what was being done and to what.
 */
import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { SluiceError } from "../../core/errors.js";
import type { BuildOutput } from "../../core/storage.js";

/** One JSON object of the engine's build, pull or push stream. */
interface EngineStreamEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: { ID?: string; Tag?: string; Digest?: string };
}

/** The dockerode constructor options for an engine address (unix socket path, unix://, tcp://, http(s)://). */
export function dockerOptionsFor(host: string | undefined): Docker.DockerOptions | undefined {
  if (host === undefined || host === "") return undefined;
  if (host.startsWith("unix://")) return { socketPath: host.slice("unix://".length) };
  if (host.startsWith("/")) return { socketPath: host };
  let url: URL;
  try {
    url = new URL(host.includes("://") ? host : `tcp://${host}`);
  } catch (cause) {
    throw new SluiceError(
      "CONFIG_INVALID",
      `docker.host ${JSON.stringify(host)} is not an engine address; use unix:///var/run/docker.sock or tcp://host:2375`,
      {
        field: "docker.host",
        value: host,
        cause,
      },
    );
  }
  const protocol = url.protocol === "https:" ? "https" : "http";
  return { host: url.hostname, port: Number(url.port || (protocol === "https" ? 2376 : 2375)), protocol };
}

/** The engine's message from a dockerode error (its JSON body when there is one). */
export function engineMessage(error: unknown): string {
  const e = error as { json?: { message?: string } | null; message?: string; reason?: string };
  const text = e?.json?.message ?? e?.message ?? String(error);
  return text.replace(/^\(HTTP code \d+\) [a-z ]+ - /i, "").trim();
}

/** HTTP status of a dockerode error, when it has one. */
export const engineStatus = (error: unknown): number | undefined => (error as { statusCode?: number })?.statusCode;

export class DockerEngine {
  private constructor(
    /** The dockerode client (for operations this class does not wrap). */
    readonly docker: Docker,
    /** Where the engine is, for messages. */
    readonly address: string,
  ) {}

  /** Connects and pings the engine; an unreachable engine is a SERVICE_UNAVAILABLE error naming its address. */
  static async connect(host?: string): Promise<DockerEngine> {
    const { default: DockerClient } = await import("dockerode");
    const docker = new DockerClient(dockerOptionsFor(host));
    const modem = docker.modem as { socketPath?: unknown; host?: string; port?: number | string };
    const address =
      typeof modem.socketPath === "string" ? `unix://${modem.socketPath}` : modem.host ? `${modem.host}:${modem.port ?? ""}` : "the default address";
    try {
      await docker.ping();
    } catch (cause) {
      throw new SluiceError(
        "SERVICE_UNAVAILABLE",
        `Docker engine at ${address} is not reachable: ${engineMessage(cause)}. Start Docker, or set docker.host (SLUICE__DOCKER__HOST) to its address.`,
        { kind: "docker", cause },
      );
    }
    return new DockerEngine(docker, address);
  }

  /** The image's inspect data, or null when the engine has no such image. */
  async inspectImage(reference: string): Promise<Docker.ImageInspectInfo | null> {
    try {
      return await this.docker.getImage(reference).inspect();
    } catch (error) {
      if (engineStatus(error) === 404) return null;
      throw new SluiceError("BUILD_FAILED", `inspecting image ${reference} failed: ${engineMessage(error)}`, { kind: "docker", cause: error });
    }
  }

  /** Pulls an image; the engine's error text on failure. */
  async pull(reference: string, output?: BuildOutput): Promise<void> {
    output?.line(`Pulling ${reference}`);
    let stream: Readable;
    try {
      stream = (await this.docker.pull(reference)) as Readable;
    } catch (error) {
      throw new SluiceError("BUILD_FAILED", `pulling image ${reference} failed: ${engineMessage(error)}`, {
        kind: "docker",
        field: "image",
        value: reference,
        cause: error,
      });
    }
    const { error } = await this.follow(stream, output, false);
    if (error) throw new SluiceError("BUILD_FAILED", `pulling image ${reference} failed: ${error}`, { kind: "docker", field: "image", value: reference });
  }

  /**
   * Builds an image from a tar stream of the context. Resolves to the image id and the build's log
   * lines; a failed build rejects with the engine's error, after its log went to `output`.
   */
  async build(context: Readable, options: Docker.ImageBuildOptions, output?: BuildOutput): Promise<{ imageId: string | undefined; log: string[] }> {
    let contextError: Error | undefined;
    context.once("error", (error: Error) => (contextError = error));
    let stream: Readable;
    try {
      stream = (await this.docker.buildImage(context, options)) as Readable;
    } catch (error) {
      throw new BuildError(contextError ? `reading the build context failed: ${contextError.message}` : engineMessage(error), []);
    }
    const result = await this.follow(stream, output, true);
    if (contextError) throw new BuildError(`reading the build context failed: ${contextError.message}`, result.log);
    if (result.error) throw new BuildError(result.error, result.log);
    return { imageId: result.aux.find((a) => a.ID)?.ID, log: result.log };
  }

  /** Tags `source` as `repository:tag`. */
  async tag(source: string, repository: string, tag: string): Promise<void> {
    try {
      await this.docker.getImage(source).tag({ repo: repository, tag });
    } catch (error) {
      throw new SluiceError("BUILD_FAILED", `tagging image ${source} as ${repository}:${tag} failed: ${engineMessage(error)}`, {
        kind: "docker",
        cause: error,
      });
    }
  }

  /** Pushes `repository:tag` to `registry`; the error names the registry and carries the engine's text. */
  async push(repository: string, tag: string, registry: string, output?: BuildOutput): Promise<string | undefined> {
    const reference = `${repository}:${tag}`;
    output?.line(`Pushing ${reference}`);
    const fail = (message: string, cause?: unknown): never => {
      throw new SluiceError("BUILD_FAILED", `pushing image ${reference} to registry ${registry} failed: ${message}`, {
        kind: "docker",
        field: "registryUrl",
        value: registry,
        cause,
      });
    };
    let stream: Readable;
    try {
      stream = (await this.docker.getImage(reference).push({ tag, authconfig: { serveraddress: registry } })) as Readable;
    } catch (error) {
      return fail(engineMessage(error), error);
    }
    const result = await this.follow(stream, output, false);
    if (result.error) fail(result.error);
    return result.aux.find((a) => a.Digest)?.Digest;
  }

  /** Removes an image (force: also when tagged elsewhere). Missing images are fine. */
  async removeImage(reference: string): Promise<void> {
    try {
      await this.docker.getImage(reference).remove({ force: true });
    } catch (error) {
      if (engineStatus(error) !== 404)
        throw new SluiceError("INTERNAL", `removing image ${reference} failed: ${engineMessage(error)}`, { kind: "docker", cause: error });
    }
  }

  /** Reads a JSON-lines stream of the engine, forwarding text and progress to `output`. */
  private follow(
    stream: Readable,
    output: BuildOutput | undefined,
    buildLog: boolean,
  ): Promise<{ error?: string; log: string[]; aux: NonNullable<EngineStreamEvent["aux"]>[] }> {
    return new Promise((resolve, reject) => {
      const log: string[] = [];
      const aux: NonNullable<EngineStreamEvent["aux"]>[] = [];
      let error: string | undefined;
      let buffer = "";
      let partial = "";
      const emitText = (text: string): void => {
        partial += text;
        let nl: number;
        while ((nl = partial.indexOf("\n")) >= 0) {
          const line = partial
            .slice(0, nl)
            .replace(/\r$/, "")
            // eslint-disable-next-line no-control-regex -- the engine colours a step's stderr
            .replace(/\u001b\[[0-9;]*m/g, "");
          partial = partial.slice(nl + 1);
          if (line.trim() === "") continue;
          log.push(line);
          output?.line(line);
        }
      };
      const handle = (event: EngineStreamEvent): void => {
        if (event.errorDetail || event.error) {
          error = event.errorDetail?.message ?? event.error;
          return;
        }
        if (event.aux) aux.push(event.aux);
        if (typeof event.stream === "string") {
          emitText(buildLog && /^Step \d+\/\d+ :/.test(event.stream) && !event.stream.endsWith("\n") ? `${event.stream}\n` : event.stream);
        } else if (typeof event.status === "string") {
          const { current, total } = event.progressDetail ?? {};
          if (event.id && output?.progress) {
            output.progress({ id: event.id, status: event.status, ...(current !== undefined ? { current } : {}), ...(total !== undefined ? { total } : {}) });
          } else if (current === undefined) {
            const line = event.id ? `${event.id}: ${event.status}` : event.status;
            log.push(line);
            output?.line(line);
          }
        }
      };
      stream.on("data", (chunk: Buffer) => {
        buffer += chunk.toString("utf8");
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line === "") continue;
          try {
            handle(JSON.parse(line) as EngineStreamEvent);
          } catch {
            emitText(`${line}\n`);
          }
        }
      });
      stream.on("error", reject);
      stream.on("end", () => {
        if (buffer.trim() !== "") {
          try {
            handle(JSON.parse(buffer) as EngineStreamEvent);
          } catch {
            emitText(`${buffer}\n`);
          }
        }
        if (partial.trim() !== "") emitText("\n");
        resolve(error === undefined ? { log, aux } : { error, log, aux });
      });
    });
  }
}

/** A failed image build: the engine's error and the build log up to it. */
export class BuildError extends Error {
  constructor(
    readonly engineError: string,
    readonly log: string[],
  ) {
    super(engineError);
    this.name = "BuildError";
  }
}
