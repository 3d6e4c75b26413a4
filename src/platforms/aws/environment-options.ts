/**
 * FargateTaskEnvironment's options in their JSON form (config file, CLI, API), one zod schema built on
 * first use: the environment's own keys, the AWS API keys (see options.ts) and the launch settings.
 * Light on purpose: the platform descriptor imports it, never the class.
 */
import { lazy } from "../../core/zod.js";
import { awsOptionsSchema, fargateEnvironmentSchema } from "./options.js";

export const fargateTaskEnvironmentSchema = lazy((z) =>
  fargateEnvironmentSchema()
    .extend(awsOptionsSchema().shape)
    .extend({
      sluiceCommand: z.array(z.string().min(1)).min(1, 'give the command that starts Sluice\'s CLI, e.g. ["sluice"]').optional(),
      pollIntervalMs: z.number().int().min(1).optional(),
      startDeadlineMs: z.number().int().min(1).optional(),
      endpoint: z.string().url().optional(),
    }),
);
