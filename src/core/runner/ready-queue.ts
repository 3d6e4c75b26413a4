/**
 * The runs ready to start, ordered by task definition order, then map index: a binary min-heap, so the
 * local executor runs tasks in a deterministic order and a retried run does not jump ahead of earlier
 * tasks. Pushing runs that arrive in order (the children of one mapped node) costs O(1) each.
 */
import type { TaskRunRecord } from "./records.js";

const before = (a: TaskRunRecord, b: TaskRunRecord): boolean =>
  a.nodeRun.index !== b.nodeRun.index ? a.nodeRun.index < b.nodeRun.index : (a.mapIndex ?? -1) < (b.mapIndex ?? -1);

export class ReadyQueue {
  readonly #heap: TaskRunRecord[] = [];

  get size(): number {
    return this.#heap.length;
  }

  push(record: TaskRunRecord): void {
    const heap = this.#heap;
    let i = heap.push(record) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(record, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = record;
  }

  pop(): TaskRunRecord | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }

  /** Removes and returns every queued run. */
  drain(): TaskRunRecord[] {
    return this.#heap.splice(0);
  }
}
