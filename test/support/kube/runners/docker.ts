/**
 * Runs a container as a real Docker container (host network, so it reaches 127.0.0.1 servers such as
 * the stand-in itself). `command`/`args` replace the image ENTRYPOINT/CMD as in Kubernetes; memory and
 * CPU limits are applied, and a kernel OOM kill is reported as OOMKilled. Images come from the local
 * store; `127.0.0.1:5000/...` images are pulled from the local registry when missing or `Always`.
 */
import type Dockerode from "dockerode";
import { PassThrough } from "node:stream";
import type { ContainerExit, ContainerRunner, ImageCheck, RunSpec, StartedContainer } from "./types.js";
import { pullNotFoundMessage } from "./types.js";

export interface DockerRunnerOptions {
  docker: Dockerode;
  /** Label value marking every container of this stand-in instance. */
  instanceId: string;
  /** Registry host that can be pulled from. @default "127.0.0.1:5000" */
  registry: string;
}

export const instanceLabel = "kube-standin.instance";

function statusOf(e: unknown): number | undefined {
  return (e as { statusCode?: number }).statusCode;
}

export class DockerRunner implements ContainerRunner {
  readonly kind = "docker" as const;
  private readonly containers = new Map<string, Promise<ContainerExit>>();

  constructor(private readonly options: DockerRunnerOptions) {}

  private async pull(image: string): Promise<ImageCheck> {
    const { docker, registry } = this.options;
    try {
      const stream = await docker.pull(image, { authconfig: { serveraddress: registry } });
      await new Promise<void>((resolve, reject) => {
        docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
      });
      return { ok: true, pulled: true };
    } catch (e) {
      return { ok: false, message: `rpc error: code = Unknown desc = failed to pull and unpack image "${image}": ${(e as Error).message}` };
    }
  }

  async checkImage(image: string, pullPolicy: string): Promise<ImageCheck> {
    const fromRegistry = image.startsWith(`${this.options.registry}/`);
    let present = true;
    try {
      await this.options.docker.getImage(image).inspect();
    } catch (e) {
      if (statusOf(e) !== 404) return { ok: false, message: `rpc error: code = Unknown desc = ${(e as Error).message}` };
      present = false;
    }
    if (fromRegistry && (!present || pullPolicy === "Always")) return this.pull(image);
    if (present) return { ok: true, pulled: false };
    return {
      ok: false,
      message: pullPolicy === "Never" ? `Container image "${image}" is not present with pull policy of Never` : pullNotFoundMessage(image),
    };
  }

  async start(spec: RunSpec, onOutput: (chunk: Buffer) => void): Promise<StartedContainer> {
    const { docker, instanceId } = this.options;
    const name = `k8s_${spec.containerName}_${spec.podName}_${spec.namespace}_${spec.podUid.slice(0, 8)}_${spec.restartCount}`;
    const env = new Map<string, string>([
      ["HOSTNAME", spec.podName],
      ["KUBECONFIG", "/var/run/kube-standin/kubeconfig"],
    ]);
    for (const [k, v] of spec.env) env.set(k, v);
    const container = await docker.createContainer({
      name,
      Image: spec.image,
      ...(spec.command ? { Entrypoint: spec.command } : {}),
      ...(spec.args ? { Cmd: spec.args } : {}),
      Env: [...env].map(([k, v]) => `${k}=${v}`),
      ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
      Labels: {
        [instanceLabel]: instanceId,
        "io.kubernetes.pod.name": spec.podName,
        "io.kubernetes.pod.namespace": spec.namespace,
        "io.kubernetes.pod.uid": spec.podUid,
        "io.kubernetes.container.name": spec.containerName,
      },
      HostConfig: {
        NetworkMode: "host",
        Binds: [`${spec.kubeconfigPath}:/var/run/kube-standin/kubeconfig:ro`],
        ...(spec.memoryLimitBytes ? { Memory: Math.floor(spec.memoryLimitBytes), MemorySwap: Math.floor(spec.memoryLimitBytes) } : {}),
        ...(spec.cpuLimit ? { NanoCpus: Math.floor(spec.cpuLimit * 1e9) } : {}),
      },
    });
    const remove = () => container.remove({ force: true }).catch(() => undefined);
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const out = new PassThrough();
    out.on("data", onOutput);
    docker.modem.demuxStream(stream, out, out);
    const streamEnded = new Promise<void>((resolve) => {
      stream.on("end", resolve);
      stream.on("close", resolve);
      stream.on("error", () => resolve());
    });
    let imageId = "";
    try {
      await container.start();
      const info = await container.inspect();
      imageId = `docker-pullable://${spec.image}@${info.Image}`;
    } catch (e) {
      (stream as unknown as { destroy(): void }).destroy();
      await remove();
      return {
        containerId: `docker://${container.id}`,
        imageId: "",
        signal: async () => {},
        exited: Promise.resolve({ exitCode: 128, reason: "StartError", message: (e as Error).message }),
      };
    }
    const exited = (async (): Promise<ContainerExit> => {
      try {
        const waited = (await container.wait()) as { StatusCode: number };
        await Promise.race([streamEnded, new Promise((r) => setTimeout(r, 500))]);
        const info = await container.inspect().catch(() => undefined);
        const oom = info?.State?.OOMKilled === true;
        return oom ? { exitCode: 137, reason: "OOMKilled" } : { exitCode: waited.StatusCode };
      } catch (e) {
        return { exitCode: 137, message: (e as Error).message };
      } finally {
        (stream as unknown as { destroy(): void }).destroy();
        await remove();
      }
    })();
    this.containers.set(container.id, exited);
    void exited.then(() => this.containers.delete(container.id));
    return {
      containerId: `docker://${container.id}`,
      imageId,
      exited,
      signal: async (signal) => {
        await container.kill({ signal }).catch(() => undefined);
      },
    };
  }

  async close(): Promise<void> {
    const { docker, instanceId } = this.options;
    const listed = await docker.listContainers({ all: true, filters: { label: [`${instanceLabel}=${instanceId}`] } }).catch(() => []);
    await Promise.all(
      listed.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
    await Promise.all([...this.containers.values()]);
  }
}
