/**
 * Flows for the workers executor tests, loaded by module path in each worker thread. Written in
 * TypeScript on purpose: worker threads must import TypeScript flow modules.
 */
import { isMainThread, threadId } from "node:worker_threads";
import { z } from "zod";
import { flow, task, type TaskContext } from "sluice";

class Client {
  constructor(readonly url: string) {}
  get(): string {
    return this.url;
  }
}

const makeClient = task("make-client", async () => new Client("http://x"));
const useClient = task("use-client", async (c: unknown) => String(c));
/** make-client returns a class instance: it cannot come back from a worker thread with its methods. */
export const classResultFlow = flow("class-result", () => useClient(makeClient()));

const send = task("send", async ({ client }: { client: unknown; n: number }) => String(client));
/** The input of send holds a function. */
export const functionInputFlow = flow("function-input", () => send({ client: () => "not data", n: 1 }));

const where = task("where", async (i: number) => ({ i, mainThread: isMainThread, threadId }));
/** Each child reports the thread it ran in. */
export const whereFlow = flow("where", { parameters: z.object({ n: z.number().default(4) }) }, (p) =>
  where.map(task("ids", async (n: number) => Array.from({ length: n }, (_, i) => i))(p.n)),
);

/** Returns a Map, a Set, a Date and a bigint: structured clone keeps them. */
export const richResultFlow = flow("rich-result", () =>
  task("rich", async () => ({ map: new Map([["a", 1]]), set: new Set([2]), when: new Date(0), big: 10n }))(),
);

const spin = task("spin", async (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // CPU-bound: never looks at its signal
  }
  return ms;
});
/** A CPU-bound task that ignores cancellation. */
export const spinFlow = flow("spin", { parameters: z.object({ ms: z.number().default(20_000) }) }, (p) => spin(p.ms));

const chatty = task("chatty", async (n: number, ctx: TaskContext) => {
  for (let i = 0; i < n; i++) ctx.logger.info(`line ${i}`, { i, fn: () => i });
  return n;
});
/** Logs n lines (with a field that is a function, which must not break the copy to the parent). */
export const chattyFlow = flow("chatty", { parameters: z.object({ n: z.number().default(50) }) }, (p) => chatty(p.n));

const crash = task("crash", async () => {
  if (!isMainThread) process.exit(3);
  return "main thread";
});
/** A task that ends its worker thread. */
export const crashFlow = flow("crash", () => crash());
