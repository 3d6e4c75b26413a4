/**
 * Options of DockerStorage: raw → validated → compiled once, at construction: baseImage and
 * dockerfile together, relative `files` sources, invalid image names, tags and registry addresses.
 * That the `files` sources and the dockerfile exist is checked when the image is built, before the
 * engine is called: the flow's module (and so the storage) is also constructed inside the image, where
 * those host paths do not exist.
 */
import { existsSync, statSync } from "node:fs";
import { isAbsolute, posix, resolve } from "node:path";
import { SluiceError, showValue } from "../../core/errors.js";
import { lazy } from "../../core/zod.js";
import { parseOptions } from "../../core/parse-options.js";
import { checkImageName, checkImageTag, checkRegistryUrl } from "./naming.js";

export interface DockerStorageOptions {
  /** Registry to push to, as host[:port][/path] (e.g. "127.0.0.1:5000"). No registry: the image stays local. @default undefined */
  registryUrl?: string;
  /** Repository name of the image. @default the slug of the flow's name when the storage holds one flow, else a UUID */
  imageName?: string;
  /** Tag of the image. @default a slug of the UTC time of the build, e.g. "2026-11-22t10-15-30-123z" */
  imageTag?: string;
  /** Image to build FROM; needs Node >= 20.19 and /bin/sh. Not with `dockerfile`. @default config docker.baseImage ("node:20-slim") */
  baseImage?: string;
  /** Path of a Dockerfile whose instructions come first (its FROM is the base); Sluice's steps follow. Not with `baseImage`. @default undefined */
  dockerfile?: string;
  /** npm packages the flows import, as `npm install` specs (e.g. "lodash@4"); installed on the building machine and copied in. @default [] */
  dependencies?: string[];
  /** Environment variables set in the image. @default {} */
  env?: Record<string, string>;
  /** Files or directories to copy into the image: absolute source path on this machine → absolute path in the image. @default {} */
  files?: Record<string, string>;
  /** The base image is local: never pull it (a missing base image is an error). @default false */
  localImage?: boolean;
  /** Skip the build-time health check that loads every flow in the image. @default false */
  ignoreHealthchecks?: boolean;
  /** Extra options for the engine's build (e.g. { nocache: true, buildargs: { A: "1" }, labels: {...} }). @default {} */
  buildOptions?: Record<string, unknown>;
}

/** The validated options; paths absolute. */
export interface CompiledDockerStorageOptions {
  registryUrl: string | undefined;
  imageName: string | undefined;
  imageTag: string | undefined;
  baseImage: string | undefined;
  dockerfile: string | undefined;
  dependencies: string[];
  env: Record<string, string>;
  files: Record<string, string>;
  localImage: boolean;
  ignoreHealthchecks: boolean;
  buildOptions: Record<string, unknown>;
}

const schema = lazy((z) =>
  z.strictObject({
    registryUrl: z.string().optional(),
    imageName: z.string().optional(),
    imageTag: z.string().optional(),
    baseImage: z.string().min(1, 'give an image reference such as "node:20-slim"').optional(),
    dockerfile: z.string().min(1, "give the path of a Dockerfile").optional(),
    dependencies: z.array(z.string().min(1, 'give an npm install spec such as "lodash@4"')).default([]),
    env: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "use only letters, digits and _ in variable names"),
        z.string("give the value as a string").regex(/^[^\r\n]*$/, "a Dockerfile ENV cannot hold line breaks; put multi-line values in a file (files option)"),
      )
      .default({}),
    files: z.record(z.string(), z.string("give the destination path in the image as a string")).default({}),
    localImage: z.boolean().default(false),
    ignoreHealthchecks: z.boolean().default(false),
    buildOptions: z.record(z.string(), z.unknown()).default({}),
  }),
);

/** Build options Sluice sets itself; the user cannot override them. */
const RESERVED_BUILD_OPTIONS = ["t", "dockerfile", "remote"];

export function compileDockerStorageOptions(raw: DockerStorageOptions = {}, cwd: string = process.cwd()): CompiledDockerStorageOptions {
  const o = parseOptions(schema(), raw, "DockerStorage");
  if (o.baseImage !== undefined && o.dockerfile !== undefined) {
    throw new SluiceError(
      "INVALID_OPTION",
      `DockerStorage: baseImage ${showValue(o.baseImage)} and dockerfile ${showValue(o.dockerfile)} were both given; give one: the dockerfile's FROM is the base image`,
      { field: "baseImage", value: o.baseImage },
    );
  }
  const dockerfile = o.dockerfile === undefined ? undefined : resolve(cwd, o.dockerfile);
  for (const [source, destination] of Object.entries(o.files)) {
    const field = `files.${source}`;
    if (!isAbsolute(source)) {
      throw new SluiceError(
        "INVALID_OPTION",
        `DockerStorage: files source ${showValue(source)} is a relative path; give an absolute path on this machine (e.g. ${resolve(cwd, source)})`,
        {
          field,
          value: source,
        },
      );
    }
    if (!posix.isAbsolute(destination) || destination === "/") {
      throw new SluiceError(
        "INVALID_OPTION",
        `DockerStorage: files destination ${showValue(destination)} for ${source} must be an absolute path in the image other than "/", e.g. "/opt/data/config.json"`,
        {
          field,
          value: destination,
        },
      );
    }
  }
  for (const key of Object.keys(o.buildOptions)) {
    if (RESERVED_BUILD_OPTIONS.includes(key)) {
      throw new SluiceError("INVALID_OPTION", `DockerStorage: buildOptions.${key} is set by Sluice; use imageName/imageTag/dockerfile instead`, {
        field: `buildOptions.${key}`,
        value: o.buildOptions[key],
      });
    }
  }
  return {
    registryUrl: o.registryUrl === undefined ? undefined : checkRegistryUrl(o.registryUrl),
    imageName: o.imageName === undefined ? undefined : checkImageName(o.imageName),
    imageTag: o.imageTag === undefined ? undefined : checkImageTag(o.imageTag),
    baseImage: o.baseImage,
    dockerfile,
    dependencies: o.dependencies,
    env: o.env,
    files: o.files,
    localImage: o.localImage,
    ignoreHealthchecks: o.ignoreHealthchecks,
    buildOptions: o.buildOptions,
  };
}

/** Checks that the dockerfile and every `files` source exist on this machine (called before building). */
export function checkDockerStorageSources(options: CompiledDockerStorageOptions): void {
  if (options.dockerfile !== undefined && (!existsSync(options.dockerfile) || !statSync(options.dockerfile).isFile())) {
    throw new SluiceError("INVALID_OPTION", `DockerStorage: dockerfile ${showValue(options.dockerfile)} does not exist; give the path of a Dockerfile`, {
      field: "dockerfile",
      value: options.dockerfile,
    });
  }
  for (const source of Object.keys(options.files)) {
    if (!existsSync(source)) {
      throw new SluiceError("INVALID_OPTION", `DockerStorage: files source ${showValue(source)} does not exist; give an existing file or directory`, {
        field: `files.${source}`,
        value: source,
      });
    }
  }
}
