/**
 * The AWS platform's configuration, `config.aws`: credentials, region and endpoint of the ECS and
 * CloudWatch Logs clients when an environment's options name none. Light: the configuration schema
 * imports it through the platform list. Unset keys leave the AWS SDK's own resolution (its default
 * credential chain, AWS_REGION) in charge.
 */
import type { Zod } from "../../core/zod.js";

/** Keys of `config.aws`. */
export const awsSection = (z: Zod) => ({
  /** Access key id, used with awsSecretAccessKey when an environment's options give none. Never logged. @default undefined (the SDK's default chain) */
  awsAccessKeyId: z.string().min(1).optional(),
  /** Secret access key. Never logged. @default undefined */
  awsSecretAccessKey: z.string().min(1).optional(),
  /** Session token of temporary credentials. Never logged. @default undefined */
  awsSessionToken: z.string().min(1).optional(),
  /** Region of the ECS cluster. @default undefined (the SDK's resolution: AWS_REGION, the profile) */
  regionName: z.string().min(1).optional(),
  /** Endpoint of ECS and CloudWatch Logs (a VPC endpoint, a test stand-in). @default undefined (AWS's) */
  endpoint: z.string().url().optional(),
});

/** The AWS platform's configuration fragment. */
export const awsConfig = { name: "aws", section: awsSection } as const;
