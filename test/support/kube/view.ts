/**
 * `ClusterView`: what a test may read of any Kubernetes target, the stand-in or a real cluster: the Jobs,
 * pods and events as they are now, and a wait for a condition on them. On the stand-in it reads its store;
 * on a real cluster, informers (src/platforms/kubernetes/informer.ts) keep a copy of the suite's namespace
 * current, so the same synchronous calls work there.
 */
import { BatchV1Api, CoreV1Api, Watch, type KubeConfig } from "@kubernetes/client-node";
import { Informer, type InformerSource } from "../../../src/platforms/kubernetes/informer.js";
import type { StandinHooks } from "./hooks.js";
import type { KubeObject } from "./util.js";

export interface ClusterView {
  /** Jobs (of one namespace, or every namespace the view sees). */
  jobs(namespace?: string): KubeObject[];
  pods(namespace?: string): KubeObject[];
  events(namespace?: string): KubeObject[];
  /** Resolves with the first truthy value of `predicate`, re-checked as things change; rejects after `timeoutMs`. @default timeoutMs 10_000 */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  /** Stops watching (a no-op on the stand-in). */
  close(): void;
}

/** The stand-in's view: its hooks' reads. */
export function standinView(hooks: StandinHooks): ClusterView {
  return {
    jobs: (ns) => hooks.jobs(ns),
    pods: (ns) => hooks.pods(ns),
    events: (ns) => hooks.events(ns),
    waitFor: (predicate, timeoutMs) => hooks.waitFor(predicate, timeoutMs),
    close: () => undefined,
  };
}

/** A real cluster's view of one namespace, from three informers (Jobs, pods, events), started before it resolves. */
export async function watchedView(kubeConfig: KubeConfig, namespace: string): Promise<ClusterView> {
  const watch = new Watch(kubeConfig);
  const listeners = new Set<() => void>();
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  type Listed = { items: object[]; metadata?: { resourceVersion?: string } };
  const source = (path: string, list: () => Promise<Listed>): InformerSource<KubeObject> => ({
    description: `${path} (test view)`,
    async list() {
      const listed = await list();
      // The typed client turns timestamps into Dates; a watch (and the stand-in) gives the JSON strings.
      const items = listed.items.map((o) => JSON.parse(JSON.stringify(o)) as KubeObject);
      return { items, resourceVersion: listed.metadata?.resourceVersion ?? "" };
    },
    async watch(query, onEvent, onEnd) {
      const controller = await watch.watch(path, { ...query }, onEvent, onEnd);
      return { abort: () => controller.abort() };
    },
  });
  const options = { onChange: () => listeners.forEach((l) => l()), backoffInitialMs: 200, backoffMaxMs: 5_000 };
  const jobs = new Informer(
    source(`/apis/batch/v1/namespaces/${namespace}/jobs`, async () => await batch.listNamespacedJob({ namespace })),
    options,
  );
  const pods = new Informer(
    source(`/api/v1/namespaces/${namespace}/pods`, async () => await core.listNamespacedPod({ namespace })),
    options,
  );
  const events = new Informer(
    source(`/api/v1/namespaces/${namespace}/events`, async () => await core.listNamespacedEvent({ namespace })),
    options,
  );
  await Promise.all([jobs.start(), pods.start(), events.start()]);
  const read = (informer: Informer<KubeObject>, ns: string | undefined): KubeObject[] =>
    informer.list().filter((o) => ns === undefined || o.metadata.namespace === ns);
  return {
    jobs: (ns) => read(jobs, ns),
    pods: (ns) => read(pods, ns),
    events: (ns) => read(events, ns),
    waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const check = (): void => {
          try {
            const value = predicate();
            if (value) {
              finish();
              resolve(value);
            }
          } catch (error) {
            finish();
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        };
        const poll = setInterval(check, 100);
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`waitFor timed out after ${timeoutMs} ms on the cluster (namespace ${namespace})`));
        }, timeoutMs);
        function finish(): void {
          listeners.delete(check);
          clearInterval(poll);
          clearTimeout(timer);
        }
        listeners.add(check);
        check();
      });
    },
    close() {
      jobs.stop();
      pods.stop();
      events.stop();
    },
  };
}
