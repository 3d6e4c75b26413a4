/**
 * Runs one ECS container as a Docker container: host network (so it reaches 127.0.0.1 services, like the
 * Kubernetes stand-in's pods), the definition's entryPoint/command, environment, working directory and
 * user, and a hard memory limit. Images come from the local store, or are pulled from the local registry.
 * A kernel OOM kill is reported as such, as ECS does.
 */
import type Dockerode from "dockerode";
import { PassThrough } from "node:stream";

export const INSTANCE_LABEL = "ecs-standin.instance";

export interface ContainerRunSpec {
  /** Docker container name (unique per stand-in). */
  name: string;
  image: string;
  entryPoint?: string[];
  command?: string[];
  env: Record<string, string>;
  workingDirectory?: string;
  user?: string;
  /** Hard memory limit in MiB. */
  memoryMiB?: number;
  labels: Record<string, string>;
}

export interface ContainerExit {
  exitCode: number;
  oomKilled: boolean;
}

export interface RunningContainer {
  /** Docker's container id (ECS's `runtimeId`). */
  id: string;
  exited: Promise<ContainerExit>;
  kill(signal: "SIGTERM" | "SIGKILL"): Promise<void>;
}

export type ImageResult = { ok: true; digest: string } | { ok: false; message: string };

const statusOf = (e: unknown): number | undefined => (e as { statusCode?: number }).statusCode;

export class DockerRunner {
  private readonly running = new Set<Promise<ContainerExit>>();

  constructor(
    private readonly docker: Dockerode,
    private readonly instanceId: string,
    private readonly registry: string,
  ) {}

  /** Finds the image locally, pulling `<registry>/...` images that are missing; else the pull error. */
  async ensureImage(image: string): Promise<ImageResult> {
    try {
      const info = await this.docker.getImage(image).inspect();
      return { ok: true, digest: info.RepoDigests?.[0]?.split("@")[1] ?? info.Id };
    } catch (e) {
      if (statusOf(e) !== 404) return { ok: false, message: (e as Error).message };
    }
    if (!image.startsWith(`${this.registry}/`))
      return { ok: false, message: `pull access denied for ${image}, repository does not exist or may require 'docker login'` };
    try {
      const stream = await this.docker.pull(image);
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
      });
      const info = await this.docker.getImage(image).inspect();
      return { ok: true, digest: info.RepoDigests?.[0]?.split("@")[1] ?? info.Id };
    } catch (e) {
      return { ok: false, message: (e as Error).message.replace(/^\(HTTP code \d+\) [^-]*- /, "") };
    }
  }

  async start(spec: ContainerRunSpec, onOutput: (text: string) => void): Promise<RunningContainer> {
    const container = await this.docker.createContainer({
      name: spec.name,
      Image: spec.image,
      ...(spec.entryPoint ? { Entrypoint: spec.entryPoint } : {}),
      ...(spec.command ? { Cmd: spec.command } : {}),
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      ...(spec.workingDirectory ? { WorkingDir: spec.workingDirectory } : {}),
      ...(spec.user ? { User: spec.user } : {}),
      Labels: { ...spec.labels, [INSTANCE_LABEL]: this.instanceId },
      HostConfig: {
        NetworkMode: "host",
        ...(spec.memoryMiB ? { Memory: spec.memoryMiB * 1024 * 1024, MemorySwap: spec.memoryMiB * 1024 * 1024 } : {}),
      },
    });
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const out = new PassThrough();
    let pending = "";
    out.on("data", (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      const cut = pending.lastIndexOf("\n");
      if (cut >= 0) {
        onOutput(pending.slice(0, cut + 1));
        pending = pending.slice(cut + 1);
      }
    });
    this.docker.modem.demuxStream(stream, out, out);
    const ended = new Promise<void>((resolve) => {
      stream.on("end", resolve);
      stream.on("close", resolve);
      stream.on("error", () => resolve());
    });
    try {
      await container.start();
    } catch (e) {
      (stream as unknown as { destroy(): void }).destroy();
      await container.remove({ force: true }).catch(() => undefined);
      throw e;
    }
    const exited = (async (): Promise<ContainerExit> => {
      try {
        const waited = (await container.wait()) as { StatusCode: number };
        await Promise.race([ended, new Promise((r) => setTimeout(r, 500))]);
        if (pending !== "") onOutput(pending);
        const info = await container.inspect().catch(() => undefined);
        return { exitCode: waited.StatusCode, oomKilled: info?.State?.OOMKilled === true };
      } catch {
        return { exitCode: 137, oomKilled: false };
      } finally {
        (stream as unknown as { destroy(): void }).destroy();
        await container.remove({ force: true }).catch(() => undefined);
      }
    })();
    this.running.add(exited);
    void exited.then(() => this.running.delete(exited));
    return {
      id: container.id,
      exited,
      kill: async (signal) => {
        await container.kill({ signal }).catch(() => undefined);
      },
    };
  }

  /** Removes every container of this stand-in instance. */
  async close(): Promise<void> {
    const listed = await this.docker.listContainers({ all: true, filters: { label: [`${INSTANCE_LABEL}=${this.instanceId}`] } }).catch(() => []);
    await Promise.all(
      listed.map((c) =>
        this.docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
    await Promise.all([...this.running]);
  }
}
