import { runExecutorConformance } from "../../src/executors/conformance.js";
import { WorkersExecutor } from "../../src/executors/workers/index.js";

// The same suite as the local and concurrent executors: same flows, same expected results.
runExecutorConformance("workers (2 threads)", () => new WorkersExecutor({ threads: 2 }), { timeoutMs: 30_000 });
runExecutorConformance("workers (1 thread, 3 attempts per thread)", () => new WorkersExecutor({ threads: 1, tasksPerThread: 3 }), { timeoutMs: 30_000 });
