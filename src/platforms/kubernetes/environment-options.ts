/**
 * Options of the Kubernetes environments beyond the common ones, in their JSON form (config file, CLI,
 * API), as zod schemas built on first use. Light on purpose: the environment registry imports this file,
 * never the classes.
 */
import { lazy, type Zod } from "../../core/zod.js";

const sluiceCommand = (z: Zod) =>
  z.array(z.string().min(1, "each part of the command is a non-empty string")).min(1, 'give the command that starts Sluice\'s CLI, e.g. ["sluice"]');

export const kubernetesJobEnvironmentSchema = lazy((z) =>
  z.strictObject({
    jobSpecFile: z
      .string({ error: 'give the path of a Job spec YAML file, e.g. "job_spec.yaml"' })
      .min(1, 'give the path of a Job spec YAML file, e.g. "job_spec.yaml"'),
    uniqueJobName: z.boolean().default(false),
    sluiceCommand: sluiceCommand(z).optional(),
  }),
);

export const dockerOnKubernetesEnvironmentSchema = lazy((z) =>
  z.strictObject({
    baseImage: z.string().min(1, 'give an image reference such as "node:20-slim"').optional(),
    registryUrl: z.string().min(1, 'give a registry such as "127.0.0.1:5000"').optional(),
    dependencies: z.array(z.string().min(1, 'give an npm install spec such as "lodash@4"')).default([]),
    imageName: z.string().min(1).optional(),
    imageTag: z.string().min(1).optional(),
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "use only letters, digits and _ in variable names"), z.string("give the value as a string"))
      .default({}),
    files: z.record(z.string(), z.string("give the destination path in the image as a string")).default({}),
    sluiceCommand: sluiceCommand(z).optional(),
  }),
);
