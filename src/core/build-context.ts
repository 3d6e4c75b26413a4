/**
 * The flow whose body is running. `flow(name, options, body)` runs its body at once with its graph
 * builder active; a task called inside adds a node to that graph and returns a ref. Calling a task
 * anywhere else is an error that says how to fix it.
 */
import { SluiceError } from "./errors.js";
import type { Ref } from "./ref.js";

/** What a task call needs from the flow being built. */
export interface GraphBuilder {
  readonly flowName: string;
  /**
   * Adds a node for a call of `task`. `args` are the call's arguments as given (zero or one);
   * `mapped` is true for `task.map(...)`.
   */
  addCall(task: object, args: readonly unknown[], mapped: boolean): Ref;
}

const stack: GraphBuilder[] = [];

/** Runs `body` with `builder` receiving the task calls made inside it. */
export function withBuilder<T>(builder: GraphBuilder, body: () => T): T {
  stack.push(builder);
  try {
    return body();
  } finally {
    stack.pop();
  }
}

/** The builder of the flow body being run; throws a GRAPH_INVALID error naming the task outside one. */
export function requireBuilder(taskName: string): GraphBuilder {
  const builder = stack[stack.length - 1];
  if (!builder) {
    throw new SluiceError(
      "GRAPH_INVALID",
      `task "${taskName}" was called outside a flow body. Call it inside flow(name, options, (params) => { ... }), ` +
        `add it with flow.addTask(task), or call task.fn(input, ctx) to run the function directly.`,
      { field: taskName },
    );
  }
  return builder;
}
