/**
 * The broker of the distributed executor as an option of other components (the worker-cluster
 * environments of every platform): a Redis URL, or the connection object the executor takes. One zod
 * schema, built on first use, whose output is exactly `RedisSpec`. Light on purpose: environment
 * descriptors import it without loading the executor, BullMQ or ioredis.
 */
import type { z } from "zod";
import { lazy } from "../../core/zod.js";
import type { RedisSpec } from "./redis-connection.js";

/** A Redis URL, or `{ url, username, password, tls, connectTimeoutMs }`; the error says both forms. */
export const brokerSchema = lazy((z) =>
  z.union(
    [
      z.string().min(1),
      z.strictObject({
        url: z.string().min(1),
        username: z.string().optional(),
        password: z.string().optional(),
        tls: z
          .strictObject({
            caFile: z.string().optional(),
            certFile: z.string().optional(),
            keyFile: z.string().optional(),
            rejectUnauthorized: z.boolean().optional(),
            servername: z.string().optional(),
          })
          .optional(),
        connectTimeoutMs: z.number().int().min(1).optional(),
      }),
    ],
    { error: 'give a Redis URL such as "rediss://:password@redis.example:6380", or { url, password, tls }' },
  ),
);

// The schema's output and the executor's RedisSpec are the same type: a key added to one and not the
// other fails to compile here.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Holds<T extends true> = T;
type _OutputIsRedisSpec = Holds<Same<z.output<ReturnType<typeof brokerSchema>>, RedisSpec>>;
