/**
 * FargateTaskEnvironment's options in their JSON form (config file, CLI, API), one zod schema built on
 * first use: the environment's own keys, the AWS API keys (see options.ts) and the launch settings, and
 * the option type derived from it: one source. The TSDoc of each option sits on its schema field, and
 * editors show it on the derived type. Light on purpose: the platform descriptor imports it, never the
 * class.
 */
import type { z } from "zod";
import type { EnvironmentOptions } from "../../core/environment.js";
import { lazy, type Zod } from "../../core/zod.js";
import { awsOptionsSchema, fargateEnvironmentSchema } from "./options.js";

/** FargateTaskEnvironment's launch settings (never sent to AWS as such). */
const launchShape = (z: Zod) => ({
  /** How the task's container starts Sluice's CLI. @default ["sluice"] */
  sluiceCommand: z.array(z.string().min(1)).min(1, 'give the command that starts Sluice\'s CLI, e.g. ["sluice"]').optional(),
  /** Between two DescribeTasks while the task runs. @default 5000 */
  pollIntervalMs: z.number().int().min(1).optional(),
  /** How long the task may stay PROVISIONING/PENDING before it is stopped and the run failed. @default 600000 */
  startDeadlineMs: z.number().int().min(1).optional(),
  /** ECS and Logs endpoint (a VPC endpoint, a local stand-in). @default undefined (AWS's) */
  endpoint: z.string().url().optional(),
});

export const fargateTaskEnvironmentSchema = lazy((z) => fargateEnvironmentSchema().extend(awsOptionsSchema().shape).extend(launchShape(z)));

/**
 * Options of FargateTaskEnvironment: the common ones, its own (typed from their schemas), and the AWS API
 * options. The AWS keys are typed loosely on purpose: they are AWS's own parameters, often built from
 * JSON or YAML, and every one is validated when the environment is constructed, naming the key.
 */
export type FargateTaskEnvironmentOptions = EnvironmentOptions &
  z.input<ReturnType<typeof fargateEnvironmentSchema>> &
  z.input<z.ZodObject<ReturnType<typeof launchShape>>> & {
    /** RegisterTaskDefinition and RunTask keys (cpu, memory, roles, containerDefinitions, cluster, networkConfiguration, tags...): see docs/aws.md. */
    [awsOption: string]: unknown;
  };
