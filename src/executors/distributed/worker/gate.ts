/**
 * A counting semaphore: at most `size` holders at once, others wait in arrival order. A worker process
 * shares one gate between the queues of every run it serves, so `--concurrency` bounds the whole process.
 */
export class Gate {
  readonly size: number;
  #held = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.size = size;
  }

  /** Attempts running now. */
  get held(): number {
    return this.#held;
  }

  acquire(): Promise<void> {
    if (this.#held < this.size) {
      this.#held++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next)
      next(); // the slot passes to the next waiter
    else this.#held--;
  }
}
