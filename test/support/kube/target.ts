/**
 * `kubeTarget()`: the Kubernetes cluster a suite runs against. By default the stand-in (with its hooks);
 * with `SLUICE_TEST_KUBECONFIG` set, the real cluster that kubeconfig names (kind, k3d, a cloud cluster),
 * where a test that needs a hook (fault injection, inspection, time scale) is skipped with the reason.
 *
 * Either way the suite gets its own fresh namespace, deleted by `close()`, so suites never see each
 * other's objects and a real cluster is left as it was found.
 */
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { randomBytes } from "node:crypto";
import type { StandinHooks } from "./hooks.js";
import { startKubeStandin, type KubeStandinOptions } from "./standin.js";
import { standinView, watchedView, type ClusterView } from "./view.js";

/** Environment variables `kubeTarget()` reads. */
export const targetEnv = {
  /** Path of a kubeconfig: run against that cluster instead of the stand-in. */
  kubeconfig: "SLUICE_TEST_KUBECONFIG",
  /** A context of that kubeconfig (default: its current context). */
  context: "SLUICE_TEST_KUBE_CONTEXT",
  /**
   * On a real cluster: the image the fixtures' Jobs run, holding Sluice and this checkout's test fixtures at
   * the same path as here (the pods load the flows from the modules the tests registered).
   */
  image: "SLUICE_TEST_KUBE_IMAGE",
  /** On a real cluster: how that image starts Sluice's CLI, as words separated by spaces (default: `sluice`). */
  sluiceCommand: "SLUICE_TEST_KUBE_SLUICE_COMMAND",
  /**
   * On a real cluster: the host name or IP address at which pods reach the machine running the tests, whose
   * Sluice server then listens on every interface (default: the address of the kubeconfig's API server).
   */
  serverHost: "SLUICE_TEST_KUBE_SERVER_HOST",
} as const;

/** How a suite's pods reach back: the test's Sluice server, and the variables the fixtures read in the pods. */
export interface PodReach {
  /** Where the test's Sluice server must listen (`SLUICE__SERVER__HOST`): 127.0.0.1 on the stand-in, 0.0.0.0 on a real cluster. */
  readonly listenHost: string;
  /** The URL pods use for the server that listens at `localUrl` (the same URL on the stand-in). */
  serverUrl(localUrl: string): string;
  /** Variables for the pods' processes (e.g. an agent's run env), so the fixtures choose the same image and command there. */
  readonly podEnv: Record<string, string>;
}

/** The smallest part of node:test's TestContext a hook check needs. */
export interface SkippableTest {
  skip(message?: string): void;
}

export interface KubeTarget {
  /** `standin` (started for this suite) or `cluster` (the real one of `SLUICE_TEST_KUBECONFIG`). */
  readonly kind: "standin" | "cluster";
  readonly kubeConfig: KubeConfig;
  /** A kubeconfig file for child processes (`KUBECONFIG=...`). */
  readonly kubeconfigPath: string;
  /** The suite's own namespace, created for it. */
  readonly namespace: string;
  /** How the suite's pods reach the test's server (and which variables they need). */
  readonly reach: PodReach;
  /** What a test may read on either target: Jobs, pods, events (of the suite's namespace on a real cluster), waitFor. */
  readonly view: ClusterView;
  /** The stand-in's hooks; undefined on a real cluster. */
  readonly hooks: StandinHooks | undefined;
  /**
   * The hooks, or undefined after marking the test skipped with `why` when the target has none:
   * `const hooks = target.requireHooks(t, "evicts a pod"); if (!hooks) return;`
   */
  requireHooks(t: SkippableTest, why: string): StandinHooks | undefined;
  /** Deletes the namespace; stops the stand-in when there is one. */
  close(): Promise<void>;
}

export interface KubeTargetOptions {
  /** Options of the stand-in, when it is the target (ignored against a real cluster). @default {} */
  standin?: KubeStandinOptions;
  /** Prefix of the suite's namespace, followed by `-` and 6 random hex characters. @default "sluice-test" */
  namespacePrefix?: string;
  /** Where to read `SLUICE_TEST_KUBECONFIG` and `SLUICE_TEST_KUBE_CONTEXT` from. @default process.env */
  env?: Record<string, string | undefined>;
}

/** The pods' view of the tests' machine on a real cluster, from the variables (or the API server's host). */
function clusterReach(env: Record<string, string | undefined>, apiServer: string | undefined): PodReach {
  const host = env[targetEnv.serverHost] || (apiServer ? new URL(apiServer).hostname : "127.0.0.1");
  const podEnv: Record<string, string> = {};
  for (const name of [targetEnv.image, targetEnv.sluiceCommand]) {
    const value = env[name];
    if (value) podEnv[name] = value;
  }
  return {
    listenHost: "0.0.0.0",
    serverUrl(localUrl) {
      const url = new URL(localUrl);
      url.hostname = host;
      return url.toString().replace(/\/$/, "");
    },
    podEnv,
  };
}

const standinReach: PodReach = { listenHost: "127.0.0.1", serverUrl: (localUrl) => localUrl, podEnv: {} };

function namespaceName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}

/** The target for a suite: the stand-in, or the real cluster of `SLUICE_TEST_KUBECONFIG`. */
export async function kubeTarget(options: KubeTargetOptions = {}): Promise<KubeTarget> {
  const env = options.env ?? process.env;
  const namespace = namespaceName(options.namespacePrefix ?? "sluice-test");
  const kubeconfigPath = env[targetEnv.kubeconfig];
  if (kubeconfigPath) {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    const context = env[targetEnv.context];
    if (context) kubeConfig.setCurrentContext(context);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace, labels: { "sluice.io/test": "true" } } } });
    const view = await watchedView(kubeConfig, namespace);
    return {
      view,
      reach: clusterReach(env, kubeConfig.getCurrentCluster()?.server),
      kind: "cluster",
      kubeConfig,
      kubeconfigPath,
      namespace,
      hooks: undefined,
      requireHooks(t, why) {
        t.skip(`${why}: needs the Kubernetes stand-in's hooks, not available against the real cluster of ${targetEnv.kubeconfig}`);
        return undefined;
      },
      async close() {
        view.close();
        await core.deleteNamespace({ name: namespace, propagationPolicy: "Background" }).catch(() => undefined);
      },
    };
  }
  const standin = await startKubeStandin({ ...options.standin, namespaces: [...(options.standin?.namespaces ?? []), namespace] });
  return {
    kind: "standin",
    kubeConfig: standin.kubeConfig,
    kubeconfigPath: standin.kubeconfigPath,
    namespace,
    reach: standinReach,
    view: standinView(standin.hooks),
    hooks: standin.hooks,
    requireHooks: () => standin.hooks,
    close: () => standin.close(),
  };
}
