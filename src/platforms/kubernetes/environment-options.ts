/**
 * Options of the Kubernetes environments beyond the common ones, as zod schemas built on first use, and
 * the option types derived from them: one source. The TSDoc of each option sits on its schema field, and
 * editors show it on the derived types. Light on purpose: the environment registry imports this file,
 * never the classes.
 */
import type { z } from "zod";
import type { EnvironmentOptions } from "../../core/environment.js";
import { lazy, type Zod } from "../../core/zod.js";

const sluiceCommand = (z: Zod) =>
  z.array(z.string().min(1, "each part of the command is a non-empty string")).min(1, 'give the command that starts Sluice\'s CLI, e.g. ["sluice"]');

const JOB_SPEC_HINT = 'give the path of a Job spec YAML file, e.g. "job_spec.yaml"';

/** KubernetesJobEnvironment's own options in their JSON form (config file, CLI, API). */
export const kubernetesJobEnvironmentSchema = lazy((z) =>
  z.strictObject({
    /** The Job spec YAML: a path (relative to the working directory). Read and validated at construction. Required. */
    jobSpecFile: z.string({ error: JOB_SPEC_HINT }).min(1, JOB_SPEC_HINT),
    /** Give every launched Job its own name: "-" and 8 random characters are appended to the spec's name. @default false */
    uniqueJobName: z.boolean().default(false),
    /**
     * How the flow's container starts Sluice's CLI (the first container's command is this, followed by
     * `execute flow --module <module> --flow <name>`).
     * @default ["sluice"] (on the PATH of images built by DockerStorage)
     */
    sluiceCommand: sluiceCommand(z).optional(),
  }),
);

/** The same options as the class takes them: a file: URL is accepted as jobSpecFile too. */
export const kubernetesJobOptionsSchema = lazy((z) =>
  kubernetesJobEnvironmentSchema().extend({
    /**
     * The Job spec YAML: a path (relative to the working directory) or a file: URL, e.g.
     * `new URL("./job_spec.yaml", import.meta.url)`. Read and validated at construction. Required.
     */
    jobSpecFile: z.union([z.string().min(1), z.instanceof(URL)], { error: JOB_SPEC_HINT }),
  }),
);

/** Options of KubernetesJobEnvironment: the common ones and its own. */
export type KubernetesJobEnvironmentOptions = EnvironmentOptions & z.input<ReturnType<typeof kubernetesJobOptionsSchema>>;

/** DockerOnKubernetesEnvironment's own options (the image it builds, and the Job's command). */
export const dockerOnKubernetesEnvironmentSchema = lazy((z) =>
  z.strictObject({
    /** Image to build FROM (Node >= 20.19 with /bin/sh). @default config docker.baseImage ("node:20-slim") */
    baseImage: z.string().min(1, 'give an image reference such as "node:20-slim"').optional(),
    /** Registry to push the image to, as host[:port][/path]. No registry: the image is not pushed. @default undefined */
    registryUrl: z.string().min(1, 'give a registry such as "127.0.0.1:5000"').optional(),
    /** npm packages the flow imports, as `npm install` specs, installed into the image it builds. @default [] */
    dependencies: z.array(z.string().min(1, 'give an npm install spec such as "lodash@4"')).default([]),
    /** Name of the image. @default the slug of the flow's name */
    imageName: z.string().min(1).optional(),
    /** Tag of the image. @default a slug of the UTC time of the build */
    imageTag: z.string().min(1).optional(),
    /** Environment variables set in the image. @default {} */
    env: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "use only letters, digits and _ in variable names"), z.string("give the value as a string"))
      .default({}),
    /** Files to copy into the image: absolute path on this machine → absolute path in the image. @default {} */
    files: z.record(z.string(), z.string("give the destination path in the image as a string")).default({}),
    /** How the Job's container starts Sluice's CLI. @default ["sluice"] */
    sluiceCommand: sluiceCommand(z).optional(),
  }),
);

/** The options of the flow's image, shared with ClusterOnKubernetesEnvironment (which builds as DockerOnKubernetesEnvironment does). */
export type DockerImageBuildOptions = Omit<z.input<ReturnType<typeof dockerOnKubernetesEnvironmentSchema>>, "sluiceCommand">;

/** Options of DockerOnKubernetesEnvironment: the common ones and its own. */
export type DockerOnKubernetesEnvironmentOptions = EnvironmentOptions & z.input<ReturnType<typeof dockerOnKubernetesEnvironmentSchema>>;
