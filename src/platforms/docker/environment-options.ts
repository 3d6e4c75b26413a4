/** Options of DockerEnvironment beyond the common ones, as one zod schema (light: the registry imports it; built on first use). */
import { lazy } from "../../core/zod.js";

export const dockerEnvironmentSchema = lazy((z) =>
  z.strictObject({
    image: z.string().min(1, 'give an image reference such as "127.0.0.1:5000/etl:v1"').optional(),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "use only letters, digits and _ in variable names"), z.string("give the value as a string"))
      .default({}),
    networkMode: z.string().min(1, 'give a network mode such as "host" or "bridge"').optional(),
    pull: z.enum(["missing", "always", "never"]).default("missing"),
    stopTimeoutMs: z.number().int().min(0).default(10_000),
  }),
);
