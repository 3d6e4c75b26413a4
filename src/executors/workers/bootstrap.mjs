// Worker-thread entry of the workers executor when Sluice runs from its TypeScript sources (tests, dev):
// Node 20 does not apply `--import tsx` to worker threads, so this registers tsx in the thread, marks it
// registered (src/core/load.ts then skips its own registration), and loads worker.ts. Built code
// (dist/) uses worker.js directly.
import { register as registerEsm } from "tsx/esm/api";
import { register as registerCjs } from "tsx/cjs/api";

registerEsm();
registerCjs();
globalThis[Symbol.for("sluice.tsx-registered")] = true;

const worker = await import("./worker.ts");
export default worker.default;
