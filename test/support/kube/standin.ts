/**
 * `startKubeStandin()`: a Kubernetes API server stand-in for tests, spoken to by the real
 * @kubernetes/client-node over HTTP, with a job controller, a garbage collector and a one-node kubelet
 * that really runs pods' containers (Docker containers or local processes). See README.md.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import Dockerode from "dockerode";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiCore } from "./apiCore.js";
import { GarbageCollector } from "./controllers/garbageCollector.js";
import { JobController, type JobControllerTimings } from "./controllers/jobController.js";
import { EventRecorder } from "./events.js";
import { Kubelet } from "./kubelet/kubelet.js";
import type { KubeletTimings } from "./kubelet/podWorker.js";
import { makeKubeConfig, writeKubeconfig } from "./kubeconfig.js";
import { DockerRunner } from "./runners/docker.js";
import { ProcessRunner } from "./runners/process.js";
import type { ContainerRunner } from "./runners/types.js";
import { KubeHttpServer, type DenyRule, type ReceivedRequest } from "./server.js";
import { ObjectStore } from "./store.js";
import { randomHex, type KubeObject } from "./util.js";

/** Every delay of the stand-in's controllers; much shorter than Kubernetes' own so tests stay fast. */
export type StandinTimings = KubeletTimings & JobControllerTimings;

export const defaultTimings: StandinTimings = {
  scheduleDelayMs: 20,
  imagePullBackoffMs: 300,
  imagePullBackoffMaxMs: 3_000,
  crashLoopBackoffMs: 200,
  crashLoopBackoffMaxMs: 2_000,
  configErrorRetryMs: 300,
  maxGracePeriodMs: 2_000,
  jobBackoffMs: 100,
  jobBackoffMaxMs: 2_000,
};

export interface KubeStandinOptions {
  /**
   * How pods' containers run: `docker` (containers from their images, host network), `process` (the
   * container's command as a local process; the image is only a name), or `auto` (Docker when the
   * engine answers its ping, else process).
   * @default "auto"
   */
  runner?: "docker" | "process" | "auto";
  /** Namespaces that exist from the start, besides default, kube-system, kube-public and kube-node-lease. @default [] */
  namespaces?: string[];
  /** Create a missing namespace on the first create in it, instead of answering 404 as Kubernetes does. @default false */
  autoCreateNamespaces?: boolean;
  /** Process mode: the images that "exist"; any other image gives ErrImagePull. Every image exists when unset. @default undefined */
  knownImages?: string[];
  /** Docker engine socket. @default "/var/run/docker.sock" */
  dockerSocket?: string;
  /** The registry that Docker mode can pull `<registry>/...` images from. @default "127.0.0.1:5000" */
  registry?: string;
  /** Controller delays (back-offs, grace cap, scheduling delay), in ms. @default defaultTimings */
  timings?: Partial<StandinTimings>;
  /** Namespace of the kubeconfig's context. @default "default" */
  namespace?: string;
  /** Bearer token written into the kubeconfig (any token is accepted). @default "kube-standin-token" */
  token?: string;
}

export interface KubeStandin {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** A client-node KubeConfig whose current context points at the stand-in. */
  readonly kubeConfig: KubeConfig;
  /** The same as a kubeconfig file, for a child process (`KUBECONFIG=...`). */
  readonly kubeconfigPath: string;
  /** The runner chosen (after `auto`). */
  readonly runner: "docker" | "process";
  /** Every create/update/patch request received over HTTP, in order, deep-copied. */
  readonly received: ReceivedRequest[];
  /** The in-process API (no deny rules, not recorded): seed objects, read state. */
  readonly api: ApiCore;
  jobs(namespace?: string): KubeObject[];
  pods(namespace?: string): KubeObject[];
  events(namespace?: string): KubeObject[];
  objects(resource: string, namespace?: string): KubeObject[];
  /** A container's output so far (first container unless named). */
  logs(podName: string, opts?: { namespace?: string; container?: string }): string;
  /** Resolves with the first truthy value of `predicate`, re-checked on every change; rejects after `timeoutMs`. */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  /** Kills a running container as the OOM killer: terminated, reason OOMKilled, exit code 137. */
  oomKill(podName: string, opts?: { namespace?: string; container?: string }): Promise<void>;
  /** Evicts a pod: containers stopped, phase Failed, reason Evicted. */
  evict(podName: string, opts?: { namespace?: string; message?: string }): Promise<void>;
  /** Answers 403 Forbidden to matching requests until the returned function is called. */
  deny(verb: string, resource: string, namespace?: string): () => void;
  /** Stops every container/process, the controllers and the HTTP server; removes temp files. */
  close(): Promise<void>;
}

async function dockerAnswers(docker: Dockerode): Promise<boolean> {
  try {
    await Promise.race([docker.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 1500))]);
    return true;
  } catch {
    return false;
  }
}

export async function startKubeStandin(options: KubeStandinOptions = {}): Promise<KubeStandin> {
  const timings = { ...defaultTimings, ...options.timings };
  const tmp = await mkdtemp(join(tmpdir(), "kube-standin-"));
  const kubeconfigPath = join(tmp, "kubeconfig.yaml");
  const docker = new Dockerode({ socketPath: options.dockerSocket ?? "/var/run/docker.sock" });
  let kind = options.runner ?? "auto";
  if (kind === "auto") kind = (await dockerAnswers(docker)) ? "docker" : "process";
  const instanceId = randomHex(6);
  const runner: ContainerRunner = kind === "docker"
    ? new DockerRunner({ docker, instanceId, registry: options.registry ?? "127.0.0.1:5000" })
    : new ProcessRunner({
      knownImages: options.knownImages,
      scratchDir: join(tmp, "work"),
      baseEnv: { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", HOME: tmp, LANG: "C.UTF-8" },
    });

  const store = new ObjectStore();
  const api = new ApiCore(store, { autoCreateNamespaces: options.autoCreateNamespaces ?? false });
  for (const ns of ["default", "kube-system", "kube-public", "kube-node-lease", ...(options.namespaces ?? [])]) {
    if (!store.get("namespaces", "", ns)) api.create("namespaces", "", { metadata: { name: ns } });
  }
  const nodeName = "kube-standin-node";
  const events = new EventRecorder(api, nodeName);
  const kubelet = new Kubelet({ api, events, runner, timings, nodeName, kubeconfigPath });
  const jobController = new JobController(api, events, timings);
  const gc = new GarbageCollector(api);
  const denyRules: DenyRule[] = [];
  const received: ReceivedRequest[] = [];
  const server = new KubeHttpServer({ api, denyRules, received, serveLogs: (ns, name, q, res) => kubelet.serveLogs(ns, name, q, res) });
  const url = await server.listen();
  const spec = { server: url, namespace: options.namespace ?? "default", token: options.token ?? "kube-standin-token" };
  await writeKubeconfig(kubeconfigPath, spec);
  kubelet.start();
  jobController.start();
  gc.start();

  let closing: Promise<void> | undefined;
  const standin: KubeStandin = {
    url,
    kubeConfig: makeKubeConfig(spec),
    kubeconfigPath,
    runner: kind,
    received,
    api,
    jobs: (ns) => store.list("jobs", ns),
    pods: (ns) => store.list("pods", ns),
    events: (ns) => store.list("events", ns),
    objects: (resource, ns) => store.list(resource, ns),
    logs: (podName, opts) => kubelet.logsOf(podName, opts),
    waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          let value: T | undefined | null | false;
          try {
            value = predicate();
          } catch (e) {
            finish();
            reject(e instanceof Error ? e : new Error(String(e)));
            return;
          }
          if (value) {
            finish();
            resolve(value);
          }
        };
        const unsubscribe = store.subscribe(() => queueMicrotask(check));
        const poll = setInterval(check, 50);
        const timer = setTimeout(() => {
          finish();
          const summary = store.list("pods").map((p) =>
            `${p.metadata.namespace}/${p.metadata.name}: ${p.status?.phase} ${JSON.stringify((p.status?.containerStatuses ?? []).map((c: { state: unknown }) => c.state))}`);
          reject(new Error(`kube stand-in: waitFor timed out after ${timeoutMs} ms; jobs: ${JSON.stringify(store.list("jobs").map((j) => [j.metadata.name, j.status]))}; pods: ${summary.join("; ")}`));
        }, timeoutMs);
        function finish() {
          unsubscribe();
          clearInterval(poll);
          clearTimeout(timer);
        }
        check();
      });
    },
    oomKill: (podName, opts) => kubelet.oomKill(podName, opts),
    evict: (podName, opts) => kubelet.evict(podName, opts),
    deny(verb, resource, namespace) {
      const rule: DenyRule = { verb, resource, namespace };
      denyRules.push(rule);
      return () => {
        const i = denyRules.indexOf(rule);
        if (i >= 0) denyRules.splice(i, 1);
      };
    },
    close() {
      closing ??= (async () => {
        jobController.stop();
        gc.stop();
        await kubelet.close();
        await runner.close();
        await server.close();
        await rm(tmp, { recursive: true, force: true });
      })();
      return closing;
    },
  };
  return standin;
}

