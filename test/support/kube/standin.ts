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
import { JobController, realJobBackoff, type JobControllerTimings } from "./controllers/jobController.js";
import { EventRecorder } from "./events.js";
import type { StandinHooks } from "./hooks.js";
import { Kubelet } from "./kubelet/kubelet.js";
import type { KubeletTimings } from "./kubelet/podWorker.js";
import { makeKubeConfig, writeKubeconfig } from "./kubeconfig.js";
import { DockerRunner } from "./runners/docker.js";
import { ProcessRunner } from "./runners/process.js";
import type { ContainerRunner } from "./runners/types.js";
import { KubeHttpServer, type DenyRule, type ReceivedRequest } from "./server.js";
import { ObjectStore } from "./store.js";
import { randomHex } from "./util.js";

/**
 * Every delay of the stand-in's controllers. The kubelet's are much shorter than Kubernetes' own so tests
 * stay fast; the Job controller's back-off is Kubernetes' own (10 s doubling to 6 min), shortened only by
 * `timeScale`; bookmarks come every minute, as from a real server's watch cache.
 */
export type StandinTimings = KubeletTimings & JobControllerTimings & { watchBookmarkIntervalMs: number };

export const defaultTimings: StandinTimings = {
  scheduleDelayMs: 20,
  imagePullBackoffMs: 300,
  imagePullBackoffMaxMs: 3_000,
  crashLoopBackoffMs: 200,
  crashLoopBackoffMaxMs: 2_000,
  configErrorRetryMs: 300,
  maxGracePeriodMs: 2_000,
  ...realJobBackoff,
  watchBookmarkIntervalMs: 60_000,
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
  /**
   * A factor on Kubernetes' own periods: the Job controller's pod-replacement back-off and the watch
   * bookmark interval (e.g. 0.01: 10 s becomes 100 ms). For tests only; 1 is a real cluster's timing.
   * @default 1
   */
  timeScale?: number;
  /** How many changes a watch can resume across before it gets 410 Expired. @default 20000 */
  watchHistoryLimit?: number;
  /** Namespace of the kubeconfig's context. @default "default" */
  namespace?: string;
  /** Bearer token written into the kubeconfig (any token is accepted). @default "kube-standin-token" */
  token?: string;
}

/**
 * The stand-in: a Kubernetes API server for the real client, plus its hooks (inspection, faults, time
 * scale). Code that should also run against a real cluster uses only the first five members, and reaches
 * the hooks through `hooks` (or `kubeTarget()`, which has none on a real cluster).
 */
export interface KubeStandin extends StandinHooks {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** A client-node KubeConfig whose current context points at the stand-in. */
  readonly kubeConfig: KubeConfig;
  /** The same as a kubeconfig file, for a child process (`KUBECONFIG=...`). */
  readonly kubeconfigPath: string;
  /** The runner chosen (after `auto`). */
  readonly runner: "docker" | "process";
  /** Stops every container/process, the controllers and the HTTP server; removes temp files. */
  close(): Promise<void>;
  /** The stand-in-only part, on its own. */
  readonly hooks: StandinHooks;
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
  const runner: ContainerRunner =
    kind === "docker"
      ? new DockerRunner({ docker, instanceId, registry: options.registry ?? "127.0.0.1:5000" })
      : new ProcessRunner({
          knownImages: options.knownImages,
          scratchDir: join(tmp, "work"),
          baseEnv: { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", HOME: tmp, LANG: "C.UTF-8" },
        });

  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new Error(`kube stand-in: timeScale must be a positive number, got ${String(options.timeScale)}`);
  const store = new ObjectStore(options.watchHistoryLimit);
  const api = new ApiCore(store, { autoCreateNamespaces: options.autoCreateNamespaces ?? false });
  for (const ns of ["default", "kube-system", "kube-public", "kube-node-lease", ...(options.namespaces ?? [])]) {
    if (!store.get("namespaces", "", ns)) api.create("namespaces", "", { metadata: { name: ns } });
  }
  const nodeName = "kube-standin-node";
  const events = new EventRecorder(api, nodeName);
  const kubelet = new Kubelet({ api, events, runner, timings, nodeName, kubeconfigPath });
  const jobController = new JobController(api, events, timings, timeScale);
  const gc = new GarbageCollector(api);
  const denyRules: DenyRule[] = [];
  const received: ReceivedRequest[] = [];
  const requestCounts = new Map<string, number>();
  const server = new KubeHttpServer({
    api,
    denyRules,
    received,
    requestCounts,
    serveLogs: (ns, name, q, res) => kubelet.serveLogs(ns, name, q, res),
    bookmarkIntervalMs: timings.watchBookmarkIntervalMs * timeScale,
  });
  const url = await server.listen();
  const spec = { server: url, namespace: options.namespace ?? "default", token: options.token ?? "kube-standin-token" };
  await writeKubeconfig(kubeconfigPath, spec);
  kubelet.start();
  jobController.start();
  gc.start();

  let closing: Promise<void> | undefined;
  const hooks: StandinHooks = {
    received,
    requestCount(verb, resource) {
      let total = 0;
      for (const [key, n] of requestCounts) {
        const [v, r] = key.split(" ");
        if ((verb === undefined || v === verb) && (resource === undefined || r === resource)) total += n;
      }
      return total;
    },
    api,
    timeScale,
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
          const summary = store
            .list("pods")
            .map(
              (p) =>
                `${p.metadata.namespace}/${p.metadata.name}: ${p.status?.phase} ${JSON.stringify((p.status?.containerStatuses ?? []).map((c: { state: unknown }) => c.state))}`,
            );
          reject(
            new Error(
              `kube stand-in: waitFor timed out after ${timeoutMs} ms; jobs: ${JSON.stringify(store.list("jobs").map((j) => [j.metadata.name, j.status]))}; pods: ${summary.join("; ")}`,
            ),
          );
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
    compactWatchHistory: () => store.compact(),
  };
  const standin: KubeStandin = {
    ...hooks,
    hooks,
    url,
    kubeConfig: makeKubeConfig(spec),
    kubeconfigPath,
    runner: kind,
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
