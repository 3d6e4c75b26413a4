/**
 * Options of DockerEnvironment beyond the common ones, as one zod schema (light: the registry imports it;
 * built on first use). DockerEnvironmentOptions is this schema's input type.
 */
import type { z } from "zod";
import type { EnvironmentOptions } from "../../core/environment.js";
import { lazy } from "../../core/zod.js";

export const dockerEnvironmentSchema = lazy((z) =>
  z.strictObject({
    /** Image to run. @default metadata.image, else the image of the flow's DockerStorage */
    image: z.string().min(1, 'give an image reference such as "127.0.0.1:5000/etl:v1"').optional(),
    /** Variables for the container; they win over the run contract's. @default {} */
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "use only letters, digits and _ in variable names"), z.string("give the value as a string"))
      .default({}),
    /** Docker network mode of the container (e.g. "host" to reach a server on the host's 127.0.0.1). @default the engine's default ("bridge") */
    networkMode: z.string().min(1, 'give a network mode such as "host" or "bridge"').optional(),
    /** When to pull the image: "missing", "always" or "never". @default "missing" */
    pull: z.enum(["missing", "always", "never"]).default("missing"),
    /** After a cancel (SIGINT to the container), how long the container gets to stop before it is killed, in ms. @default 10000 */
    stopTimeoutMs: z.number().int().min(0).default(10_000),
  }),
);

/** Options of DockerEnvironment: the common ones and the input of `dockerEnvironmentSchema`. */
export type DockerEnvironmentOptions = EnvironmentOptions & z.input<ReturnType<typeof dockerEnvironmentSchema>>;
