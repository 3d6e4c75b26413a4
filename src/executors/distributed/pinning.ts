/**
 * Task placement when work stealing is off: a task run goes to the worker that ran its upstream, where
 * its input was produced.
 *
 * - a plain task: the worker of its upstream task runs (the most common one when there are several; for a
 *   mapped upstream, the worker that ran most of its children);
 * - a mapped child i: the worker that ran child i of an upstream mapped alongside (x.map → y.map);
 * - a mapped child of a fan-out (one upstream run, many children) and a root: no preference (shared
 *   queue), so a map still spreads over the workers.
 */
import type { RunnableFlow } from "../../core/executor.js";

interface Described {
  describe(): { tasks: { key: string; upstream: string[] }[] };
}

const slot = (key: string, mapIndex: number | null): string => `${key}\u0000${mapIndex ?? ""}`;

export class PinRouter {
  readonly #upstream = new Map<string, readonly string[]>();
  readonly #placed = new Map<string, string>();
  /** Per task key: how many of its runs (children) each worker ran. */
  readonly #votes = new Map<string, Map<string, number>>();

  constructor(flow: RunnableFlow) {
    const describe = (flow as Partial<Described>).describe;
    if (typeof describe !== "function") return;
    try {
      for (const t of describe.call(flow).tasks) this.#upstream.set(t.key, t.upstream);
    } catch {
      // no graph description: every task goes to the shared queue
    }
  }

  /** Records that `workerId` ran the task run (key, mapIndex). */
  record(taskKey: string, mapIndex: number | null, workerId: string): void {
    this.#placed.set(slot(taskKey, mapIndex), workerId);
    let votes = this.#votes.get(taskKey);
    if (!votes) this.#votes.set(taskKey, (votes = new Map()));
    votes.set(workerId, (votes.get(workerId) ?? 0) + 1);
  }

  /** The worker this task run should go to, or null for the shared queue. */
  preferred(taskKey: string, mapIndex: number | null): string | null {
    const ups = this.#upstream.get(taskKey);
    if (!ups || ups.length === 0) return null;
    if (mapIndex !== null) {
      for (const up of ups) {
        const worker = this.#placed.get(slot(up, mapIndex));
        if (worker !== undefined) return worker;
      }
      return null;
    }
    const tally = new Map<string, number>();
    for (const up of ups) {
      const direct = this.#placed.get(slot(up, null));
      if (direct !== undefined) tally.set(direct, (tally.get(direct) ?? 0) + 1);
      else {
        let best: string | undefined;
        let most = 0;
        for (const [worker, n] of this.#votes.get(up) ?? []) if (n > most) [best, most] = [worker, n];
        if (best !== undefined) tally.set(best, (tally.get(best) ?? 0) + 1);
      }
    }
    let choice: string | null = null;
    let most = 0;
    for (const [worker, n] of tally) if (n > most) [choice, most] = [worker, n];
    return choice;
  }
}
