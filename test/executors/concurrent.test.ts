import { runExecutorConformance } from "../../src/executors/conformance.js";
import { ConcurrentExecutor } from "sluice";

runExecutorConformance("concurrent (4)", () => new ConcurrentExecutor({ maxConcurrency: 4 }));
runExecutorConformance("concurrent (1)", () => new ConcurrentExecutor({ maxConcurrency: 1 }));
