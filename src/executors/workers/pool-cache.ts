/**
 * Worker pools kept for the next run. Starting a pool costs each thread a Node start, tsx's registration
 * and the import of the flow module (hundreds of ms); a process that runs flows one after another (tests,
 * a long-lived program) reuses an idle pool with the same shape instead. An idle pool holds no reference
 * on the event loop (piscina unrefs idle threads), so it never keeps a process alive, and it is destroyed
 * after `keepAliveMs`.
 */
import type { Piscina } from "piscina";

/** What makes two pools interchangeable. */
export interface PoolShape {
  filename: string;
  threads: number;
  tasksPerThread: number;
  maxQueue: number;
  execArgv: readonly string[];
}

interface IdlePool {
  pool: Piscina;
  timer: NodeJS.Timeout;
}

const idle = new Map<string, IdlePool[]>();

const keyOf = (shape: PoolShape): string => JSON.stringify([shape.filename, shape.threads, shape.tasksPerThread, shape.maxQueue, shape.execArgv]);

function destroy(pool: Piscina): void {
  pool.destroy().catch(() => undefined);
}

/** An idle pool of this shape, or a new one. */
export async function acquirePool(shape: PoolShape): Promise<Piscina> {
  const waiting = idle.get(keyOf(shape));
  const reused = waiting?.pop();
  if (reused) {
    clearTimeout(reused.timer);
    return reused.pool;
  }
  // piscina is loaded on first use, so importing Sluice does not load it.
  const { Piscina: Pool } = await import("piscina");
  return new Pool({
    filename: shape.filename,
    minThreads: shape.threads,
    maxThreads: shape.threads,
    concurrentTasksPerWorker: shape.tasksPerThread,
    maxQueue: Math.max(1, shape.maxQueue),
    execArgv: [...shape.execArgv],
  });
}

/** Gives a pool back: kept idle for `keepAliveMs` (then destroyed), or destroyed now when it is 0. */
export function releasePool(shape: PoolShape, pool: Piscina, keepAliveMs: number): void {
  if (keepAliveMs <= 0) return destroy(pool);
  const key = keyOf(shape);
  const list = idle.get(key) ?? [];
  idle.set(key, list);
  const entry: IdlePool = {
    pool,
    timer: setTimeout(() => {
      list.splice(list.indexOf(entry), 1);
      if (list.length === 0 && idle.get(key) === list) idle.delete(key);
      destroy(pool);
    }, keepAliveMs),
  };
  entry.timer.unref();
  list.push(entry);
}

/** Destroys a pool that must not be reused (its threads were terminated or are stuck). */
export function discardPool(pool: Piscina): void {
  destroy(pool);
}
