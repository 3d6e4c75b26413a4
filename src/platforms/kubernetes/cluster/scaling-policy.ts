/**
 * The adaptive scaling policy of a worker cluster, as pure functions on plain numbers and names, so the
 * decisions are tested without Kubernetes or Redis:
 *
 * - `desiredWorkers`: enough workers for the task attempts waiting and running (each worker runs
 *   `tasksPerWorker` at once), between `minWorkers` and `maxWorkers`;
 * - `planScaling`: what to do now, given the worker pods that exist: create pods at once when more are
 *   wanted; remove pods only after fewer have been wanted for `scaleDownDelayMs` (no flapping), pods that
 *   never became workers first, then idle workers, newest first, and never a worker that is running a task.
 */

export interface ScalingSettings {
  /** Fewest worker pods while the flow runs. */
  minWorkers: number;
  /** Most worker pods at once. */
  maxWorkers: number;
  /** Task attempts one worker runs at once (`sluice worker --concurrency`). */
  tasksPerWorker: number;
  /** How long fewer workers must be wanted before pods are removed, in ms. */
  scaleDownDelayMs: number;
}

/** The queue as the cluster sees it. */
export interface QueueLoad {
  /** Task attempts waiting for a worker. */
  waiting: number;
  /** Task attempts running now. */
  active: number;
}

/** One worker pod that exists and is not being deleted. */
export interface WorkerPodView {
  name: string;
  /** When it was created, in ms since the epoch. */
  createdAt: number;
  /** Its worker process sends heartbeats to the broker. */
  live: boolean;
  /** Its worker is running at least one task attempt. */
  busy: boolean;
}

/** What the policy remembers between two decisions. */
export interface ScalingMemory {
  /** Since when fewer workers than exist have been wanted (ms), or null. */
  lowSince: number | null;
}

export interface ScalingPlan {
  /** Worker pods to create. */
  create: number;
  /** Names of worker pods to delete. */
  remove: string[];
  /** The target the plan moves toward. */
  desired: number;
  memory: ScalingMemory;
}

/** Worker pods wanted for `load`: ceil((waiting + active) / tasksPerWorker), within [minWorkers, maxWorkers]. */
export function desiredWorkers(load: QueueLoad, settings: ScalingSettings): number {
  const work = Math.max(0, load.waiting) + Math.max(0, load.active);
  const needed = Math.ceil(work / Math.max(1, settings.tasksPerWorker));
  return Math.min(settings.maxWorkers, Math.max(settings.minWorkers, needed));
}

/** The order in which surplus pods go: not yet a worker first, then idle workers; newest first in each group. Busy workers never. */
function removable(pods: readonly WorkerPodView[]): WorkerPodView[] {
  const newestFirst = (a: WorkerPodView, b: WorkerPodView): number => b.createdAt - a.createdAt || b.name.localeCompare(a.name);
  const starting = pods.filter((p) => !p.live).sort(newestFirst);
  const idle = pods.filter((p) => p.live && !p.busy).sort(newestFirst);
  return [...starting, ...idle];
}

/** The next step toward the wanted number of workers. `now` is in ms. */
export function planScaling(load: QueueLoad, pods: readonly WorkerPodView[], settings: ScalingSettings, memory: ScalingMemory, now: number): ScalingPlan {
  const desired = desiredWorkers(load, settings);
  const current = pods.length;
  if (desired > current) return { create: desired - current, remove: [], desired, memory: { lowSince: null } };
  if (desired === current) return { create: 0, remove: [], desired, memory: { lowSince: null } };
  const lowSince = memory.lowSince ?? now;
  if (now - lowSince < settings.scaleDownDelayMs) return { create: 0, remove: [], desired, memory: { lowSince } };
  const remove = removable(pods)
    .slice(0, current - desired)
    .map((p) => p.name);
  // Busy workers may have kept some surplus: keep waiting (the delay has passed, the next decision may remove them).
  return { create: 0, remove, desired, memory: { lowSince: remove.length < current - desired ? lowSince : null } };
}
