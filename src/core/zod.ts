/**
 * zod, loaded on first use. Loading zod takes ~100 ms, so `import "sluice"` and `sluice run` of a flow
 * that declares no parameters never load it: Sluice's own schemas are built by `lazy(...)` the first time
 * something is validated, and every other module imports zod's types only (`import type`).
 *
 * zod is required synchronously (require(esm), Node >= 20.19 or >= 22.12), from the file that `import "zod"`
 * resolves to, so Sluice and the flow's module share one zod instance. (Under a loader that also hooks
 * require(), such as `node --import tsx`, the required copy may be a second instance; zod's schemas work
 * across instances, and its global registry and config live on globalThis.)
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { z } from "zod";
import { SluiceError } from "./errors.js";

/** zod's `z` namespace. */
export type Zod = typeof z;

let loaded: Zod | undefined;

/** zod's `z`, required on the first call. */
export function zod(): Zod {
  if (loaded) return loaded;
  const file = fileURLToPath(import.meta.resolve("zod"));
  let namespace: { z: Zod };
  try {
    namespace = createRequire(import.meta.url)(file) as { z: Zod };
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === "ERR_REQUIRE_ESM" || code === "ERR_REQUIRE_ASYNC_MODULE") {
      throw new SluiceError(
        "INTERNAL",
        `Sluice loads zod with require() of an ES module, which needs Node.js >= 20.19 (>= 22.12 on Node 22) and no --no-experimental-require-module; this is Node.js ${process.version}. Upgrade Node.js.`,
        { field: "node", value: process.version, cause },
      );
    }
    throw cause;
  }
  loaded = namespace.z;
  return loaded;
}

/**
 * A value built from zod on first use and kept: `const schema = lazy((z) => z.object({ ... }))`, then
 * `schema().parse(raw)`. Its type is `ReturnType<typeof schema>`.
 */
export function lazy<T>(build: (z: Zod) => T): () => T {
  let built: { value: T } | undefined;
  return () => (built ??= { value: build(zod()) }).value;
}
