import { runExecutorConformance } from "../../src/executors/conformance.js";
import { LocalExecutor } from "sluice";

runExecutorConformance("local", () => new LocalExecutor());
