/**
 * What only the stand-in can do, behind one interface: inspect its state, inject faults, shape its time.
 * A real cluster offers none of it, so a test that needs a hook asks `kubeTarget()` for it and is skipped
 * against a real cluster (see target.ts).
 */
import type { ApiCore } from "./apiCore.js";
import type { ReceivedRequest } from "./server.js";
import type { KubeObject } from "./util.js";

export interface StandinHooks {
  // ---- inspection ----
  /** Every create/update/patch request received over HTTP, in order, deep-copied. */
  readonly received: ReceivedRequest[];
  /**
   * How many API requests came over HTTP, refused ones included: all of them, or those of one verb (get,
   * list, watch, create, update, patch, delete, deletecollection) and/or one resource (`jobs`, `pods/log`).
   * A watch counts once, however long it streams.
   */
  requestCount(verb?: string, resource?: string): number;
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

  // ---- faults ----
  /** Kills a running container as the OOM killer: terminated, reason OOMKilled, exit code 137. */
  oomKill(podName: string, opts?: { namespace?: string; container?: string }): Promise<void>;
  /** Evicts a pod: containers stopped, phase Failed, reason Evicted. */
  evict(podName: string, opts?: { namespace?: string; message?: string }): Promise<void>;
  /** Answers 403 Forbidden to matching requests until the returned function is called. */
  deny(verb: string, resource: string, namespace?: string): () => void;
  /**
   * Forgets the change history, as an etcd compaction does: a watch from any resourceVersion before now
   * gets an ERROR event with a 410 Expired Status (a client must list again).
   */
  compactWatchHistory(): void;

  // ---- time ----
  /** The factor applied to Kubernetes' own periods (Job back-off, watch bookmarks); 1 is real time. */
  readonly timeScale: number;
}
