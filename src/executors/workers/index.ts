/** The workers executor: task attempts in a pool of worker threads. */
import { WorkersExecutor } from "./workers-executor.js";
import type { WorkersExecutorOptions } from "./options.js";

export { WorkersExecutor };
export type { WorkersExecutorOptions };
export {
  assertSerializable,
  findUnserializable,
  notSerializable,
  type SerializationMode,
  type SerializationProblem,
  type SerializationSubject,
} from "./serializable.js";

/** Registry factory. */
export function createWorkersExecutor(options: WorkersExecutorOptions = {}): WorkersExecutor {
  return new WorkersExecutor(options);
}
