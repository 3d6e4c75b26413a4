/**
 * The stand-in's single node: runs every pod the store holds through a PodWorker, finishes graceful
 * deletions (then removes the pod, as the kubelet confirms a deletion), serves container logs, and
 * offers the test hooks oomKill and evict.
 */
import type { ServerResponse } from "node:http";
import type { OpenStream } from "../listWatch.js";
import { badRequest, notFound } from "../status.js";
import type { Change } from "../store.js";
import type { KubeObject } from "../util.js";
import { logQueryFrom, type LogBuffer } from "./logs.js";
import { PodWorker, type ContainerRecord, type KubeletContext } from "./podWorker.js";

export class Kubelet {
  private readonly workers = new Map<string, PodWorker>();
  private readonly terminating = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();
  private unsubscribe = () => {};
  private closed = false;

  constructor(private readonly ctx: KubeletContext) {}

  start(): void {
    this.unsubscribe = this.ctx.api.store.subscribe((c) => {
      if (c.resource === "pods") queueMicrotask(() => this.onPodChange(c));
    });
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private onPodChange(c: Change): void {
    if (this.closed) return;
    const uid = c.object.metadata.uid!;
    let worker = this.workers.get(uid);
    if (c.type === "DELETED") {
      if (worker) {
        worker.removed = true;
        this.track(worker.stop().finally(() => this.workers.delete(uid)));
      }
      return;
    }
    if (!worker) {
      if (c.type !== "ADDED") return;
      worker = new PodWorker(this.ctx, c.object);
      this.workers.set(uid, worker);
    }
    worker.observe(c.object);
    if (c.object.metadata.deletionTimestamp && !this.terminating.has(uid)) {
      this.terminating.add(uid);
      const w = worker;
      this.track(
        w.stop().then(() => {
          try {
            this.ctx.api.delete("pods", w.namespace, w.name, { gracePeriodSeconds: 0, preconditions: { uid } });
          } catch {
            // Already removed.
          }
        }),
      );
    }
  }

  /** The pod worker of `name`, searching every namespace when `namespace` is undefined. */
  workerOf(name: string, namespace?: string): PodWorker {
    const matches = [...this.workers.values()].filter((w) => w.name === name && (namespace === undefined || w.namespace === namespace) && !w.removed);
    if (matches.length === 0) throw new Error(`kube stand-in: no pod named ${name}${namespace ? ` in namespace ${namespace}` : ""} is known to the kubelet`);
    if (matches.length > 1)
      throw new Error(`kube stand-in: pods named ${name} exist in several namespaces (${matches.map((w) => w.namespace).join(", ")}): pass the namespace`);
    return matches[0]!;
  }

  async oomKill(name: string, opts: { namespace?: string; container?: string } = {}): Promise<void> {
    await this.workerOf(name, opts.namespace).oomKill(opts.container);
  }

  async evict(name: string, opts: { namespace?: string; message?: string } = {}): Promise<void> {
    const w = this.workerOf(name, opts.namespace);
    const message = opts.message ?? "The node was low on resource: memory. Threshold quantity: 100Mi, available: 48Mi. ";
    this.ctx.events.record(this.ctx.api.get("pods", w.namespace, w.name), "Warning", "Evicted", message, "kubelet");
    await w.stop({ failure: { reason: "Evicted", message } });
  }

  private container(pod: KubeObject, w: PodWorker | undefined, name: string | null): ContainerRecord | undefined {
    const names = (pod.spec.containers as { name: string }[]).map((c) => c.name);
    const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers] as { name: string }[];
    if (!name) {
      if (names.length !== 1) {
        throw badRequest(`a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(" ")}]`);
      }
      name = names[0]!;
    }
    if (!all.some((c) => c.name === name)) throw badRequest(`container ${name} is not valid for pod ${pod.metadata.name}`);
    return w && [...w.init, ...w.containers].find((c) => c.name === name);
  }

  /** The current output of a container (all of it), for tests. */
  logsOf(name: string, opts: { namespace?: string; container?: string } = {}): string {
    const w = this.workerOf(name, opts.namespace);
    const c = this.container(this.ctx.api.get("pods", w.namespace, w.name), w, opts.container ?? null);
    return c?.logs.text() ?? "";
  }

  serveLogs(namespace: string, name: string, params: URLSearchParams, res: ServerResponse): OpenStream | undefined {
    const pod = this.ctx.api.get("pods", namespace, name);
    const w = this.workers.get(pod.metadata.uid!);
    const c = this.container(pod, w, params.get("container"));
    const q = logQueryFrom(params);
    const cname = params.get("container") ?? pod.spec.containers[0].name;
    let buffer: LogBuffer | undefined;
    if (params.get("previous") === "true") {
      buffer = c?.previousLogs;
      if (!buffer) throw badRequest(`previous terminated container "${cname}" in pod "${name}" not found`);
    } else {
      if (!c || (!c.everStarted && !("terminated" in c.state))) {
        const waiting = c && "waiting" in c.state ? c.state.waiting.reason : "ContainerCreating";
        const why = waiting === "ErrImagePull" || waiting === "ImagePullBackOff" ? "trying and failing to pull image" : waiting;
        throw badRequest(`container "${cname}" in pod "${name}" is waiting to start: ${why}`);
      }
      buffer = c.logs;
    }
    if (!buffer) throw notFound("pods", "", name);
    return buffer.serve(q, res);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    for (const w of this.workers.values()) w.removed = true;
    await Promise.all([...this.workers.values()].map((w) => w.stop({ graceMs: 0 })));
    await Promise.allSettled([...this.pending]);
    this.workers.clear();
  }
}
