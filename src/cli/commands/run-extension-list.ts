/** The extensions of `sluice run` (the contract is in run-extensions.ts). */
import { environmentRunExtension } from "./run-environment.js";
import type { RunExtension } from "./run-extensions.js";

/** The extensions of `sluice run`, in order: the first that returns a launcher runs the flow. */
export const RUN_EXTENSIONS: RunExtension[] = [environmentRunExtension];
