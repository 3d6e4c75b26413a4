/**
 * How the stand-in's kubelet runs one container: a Docker container or a local process. The kubelet
 * owns the Kubernetes semantics (states, restarts, logs); a runner only checks images, starts, signals
 * and reports the exit.
 */

/** One container instance to start. */
export interface RunSpec {
  namespace: string;
  podName: string;
  podUid: string;
  containerName: string;
  /** How many times this container was restarted before (part of Docker container names). */
  restartCount: number;
  image: string;
  /** Replaces the image ENTRYPOINT (Kubernetes `command`). */
  command?: string[];
  /** Replaces the image CMD (Kubernetes `args`). */
  args?: string[];
  /** Environment in Kubernetes order (later entries win). */
  env: [string, string][];
  workingDir?: string;
  /** From `resources.limits.memory`. */
  memoryLimitBytes?: number;
  /** From `resources.limits.cpu`, in cores. */
  cpuLimit?: number;
  /** A kubeconfig file pointing at the stand-in, offered to the container through KUBECONFIG. */
  kubeconfigPath: string;
}

export interface ContainerExit {
  exitCode: number;
  /** Set when the runner knows better than "Completed"/"Error". */
  reason?: "OOMKilled" | "StartError";
  message?: string;
}

export interface StartedContainer {
  /** `docker://<id>` or `process://<pid>`. */
  containerId: string;
  imageId: string;
  exited: Promise<ContainerExit>;
  /** Sends a signal to the container's processes; resolves once sent (not once exited). */
  signal(signal: "SIGTERM" | "SIGKILL"): Promise<void>;
}

export type ImageCheck = { ok: true; pulled: boolean } | { ok: false; message: string };

export interface ContainerRunner {
  readonly kind: "docker" | "process";
  /** Whether the image can be used (and whether it had to be pulled), else the pull error message. */
  checkImage(image: string, pullPolicy: string): Promise<ImageCheck>;
  /** Starts the container; a failure to start is an `exited` promise with reason StartError. */
  start(spec: RunSpec, onOutput: (chunk: Buffer) => void): Promise<StartedContainer>;
  /** Kills and removes everything this runner started. */
  close(): Promise<void>;
}

/** The reference containerd would try to pull for `image` (docker.io/library/x:latest for short names). */
export function fullImageReference(image: string): string {
  const parts = image.split("/");
  const hasRegistry = parts.length > 1 && (parts[0]!.includes(".") || parts[0]!.includes(":") || parts[0] === "localhost");
  let ref = hasRegistry ? image : parts.length === 1 ? `docker.io/library/${image}` : `docker.io/${image}`;
  const last = ref.split("/").pop()!;
  if (!last.includes(":") && !last.includes("@")) ref += ":latest";
  return ref;
}

export function pullNotFoundMessage(image: string): string {
  const ref = fullImageReference(image);
  return `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`;
}
