/**
 * Bad input to the options of tasks, flows, every environment kind and every storage kind: each row gives
 * the input and what the error must say (see clear-error.ts).
 */
import { describe, it } from "node:test";
import { z } from "zod";
// The package entry: it loads the executor registry, as a user's `import "sluice"` does.
import "../../src/index.js";
import { task } from "../../src/core/task.js";
import { flow } from "../../src/core/flow.js";
import type { JsonObject } from "../../src/core/executor.js";
import { createEnvironment } from "../../src/platforms/environment-registry.js";
import { createStorage } from "../../src/storage/registry.js";
import { assertRefused, type Expectation } from "./clear-error.js";

interface Case extends Expectation {
  name: string;
  act: () => unknown;
}

const run = (cases: readonly Case[]): void => {
  for (const c of cases)
    it(c.name, async () => {
      await assertRefused(c.act, c, c.name);
    });
};

const taskWith = (options: Record<string, unknown>) => () => task("t", () => 1, options as never);

describe("bad task options", () => {
  run([
    { name: "retries negative", act: taskWith({ retries: -1 }), code: "INVALID_OPTION", field: "retries", shows: "-1" },
    { name: "retries fractional", act: taskWith({ retries: 1.5 }), code: "INVALID_OPTION", field: "retries", shows: "1.5" },
    { name: "retries a string", act: taskWith({ retries: "3" }), code: "INVALID_OPTION", field: "retries", shows: '"3"' },
    { name: "retryDelayMs negative", act: taskWith({ retryDelayMs: -5 }), code: "INVALID_OPTION", field: "retryDelayMs", shows: "-5" },
    { name: "retryDelayMs NaN", act: taskWith({ retryDelayMs: Number.NaN }), code: "INVALID_OPTION", field: "retryDelayMs" },
    { name: "retryBackoff unknown", act: taskWith({ retryBackoff: "linear" }), code: "INVALID_OPTION", field: "retryBackoff", shows: '"linear"' },
    { name: "maxRetryDelayMs a string", act: taskWith({ maxRetryDelayMs: "1s" }), code: "INVALID_OPTION", field: "maxRetryDelayMs", shows: '"1s"' },
    { name: "retryOnTimeout a string", act: taskWith({ retryOnTimeout: "yes" }), code: "INVALID_OPTION", field: "retryOnTimeout", shows: '"yes"' },
    { name: "timeoutMs zero", act: taskWith({ timeoutMs: 0 }), code: "INVALID_OPTION", field: "timeoutMs", shows: "0" },
    { name: "timeoutMs Infinity", act: taskWith({ timeoutMs: Infinity }), code: "INVALID_OPTION", field: "timeoutMs" },
    { name: "trigger unknown name", act: taskWith({ trigger: "whenever" }), code: "INVALID_OPTION", field: "trigger", shows: '"whenever"' },
    { name: "cache not an object", act: taskWith({ cache: 60 }), code: "INVALID_OPTION", field: "cache", shows: "60" },
    { name: "cache without ttlMs", act: taskWith({ cache: {} }), code: "INVALID_OPTION", field: "cache.ttlMs" },
    { name: "cache.key not a function", act: taskWith({ cache: { ttlMs: 5, key: "k" } }), code: "INVALID_OPTION", field: "cache.key", shows: '"k"' },
    { name: "cache.store without get", act: taskWith({ cache: { ttlMs: 5, store: {} } }), code: "INVALID_OPTION", field: "cache.store" },
    { name: "tags not a list", act: taskWith({ tags: "etl" }), code: "INVALID_OPTION", field: "tags", shows: '"etl"' },
    { name: "tags with a number", act: taskWith({ tags: ["a", 1] }), code: "INVALID_OPTION", field: "tags" },
    { name: "description a number", act: taskWith({ description: 7 }), code: "INVALID_OPTION", field: "description", shows: "7" },
    { name: "input not a schema", act: taskWith({ input: { n: "number" } }), code: "INVALID_OPTION", field: "input" },
    { name: "unknown option (typo)", act: taskWith({ retrys: 3 }), code: "INVALID_OPTION", field: "retrys", shows: "3" },
    { name: "skipOnUpstreamSkip a number", act: taskWith({ skipOnUpstreamSkip: 1 }), code: "INVALID_OPTION", field: "skipOnUpstreamSkip", shows: "1" },
  ]);
});

const flowWith = (options: Record<string, unknown>) => () => flow("f", options as never, () => undefined);

describe("bad flow options", () => {
  run([
    { name: "empty flow name", act: () => flow("", () => undefined), code: "INVALID_OPTION", field: "name", shows: '""' },
    { name: "unknown option", act: flowWith({ paramters: {} }), code: "INVALID_OPTION", field: "paramters" },
    { name: "parameters not a zod object", act: flowWith({ parameters: { n: 1 } }), code: "INVALID_OPTION", field: "parameters" },
    { name: "executor a number", act: flowWith({ executor: 4 }), code: "INVALID_OPTION", field: "executor", shows: "4" },
    { name: "referenceTasks a string", act: flowWith({ referenceTasks: "a" }), code: "INVALID_OPTION", field: "referenceTasks", shows: '"a"' },
    { name: "description an object", act: flowWith({ description: { a: 1 } }), code: "INVALID_OPTION", field: "description" },
    { name: "module empty", act: flowWith({ module: "" }), code: "INVALID_OPTION", field: "module", shows: '""' },
    {
      name: "body not a function",
      act: () => flow("f", { parameters: z.object({}) }, 5 as never),
      code: "INVALID_OPTION",
      field: "body",
      shows: "5",
    },
  ]);
});

const env = (kind: string, options: Record<string, unknown>) => () => createEnvironment(kind, options as JsonObject);

describe("bad environment options, every kind", () => {
  run([
    { name: "unknown kind", act: env("dokcer", {}), code: "INVALID_OPTION", field: "environment", shows: '"dokcer"' },
    { name: "local: labels not a list", act: env("local", { labels: "gpu" }), code: "INVALID_OPTION", field: "labels", shows: '"gpu"' },
    { name: "local: empty label", act: env("local", { labels: [""] }), code: "INVALID_OPTION", field: "labels.0", shows: '""' },
    { name: "local: label of spaces", act: env("local", { labels: ["ok", "  "] }), code: "INVALID_OPTION", field: "labels.1", shows: '"  "' },
    { name: "local: unknown option", act: env("local", { image: "x" }), code: "INVALID_OPTION", field: "image" },
    { name: "local: unknown executor kind", act: env("local", { executor: "quantum" }), code: "INVALID_OPTION", field: "executor", shows: '"quantum"' },
    { name: "local: metadata not an object", act: env("local", { metadata: [1] }), code: "INVALID_OPTION", field: "metadata" },
    { name: "docker: image a number", act: env("docker", { image: 5 }), code: "INVALID_OPTION", field: "image", shows: "5" },
    { name: "docker: env value a number", act: env("docker", { image: "a", env: { A: 1 } }), code: "INVALID_OPTION", field: "env.A", shows: "1" },
    { name: "docker: pull unknown", act: env("docker", { image: "a", pull: "sometimes" }), code: "INVALID_OPTION", field: "pull", shows: '"sometimes"' },
    {
      name: "docker: stopTimeoutMs negative",
      act: env("docker", { image: "a", stopTimeoutMs: -1 }),
      code: "INVALID_OPTION",
      field: "stopTimeoutMs",
      shows: "-1",
    },
    { name: "docker: networkMode a list", act: env("docker", { image: "a", networkMode: ["host"] }), code: "INVALID_OPTION", field: "networkMode" },
    {
      name: "kubernetes-job: uniqueJobName a string",
      act: env("kubernetes-job", { jobSpecFile: "job.yaml", uniqueJobName: "yes" }),
      code: "INVALID_OPTION",
      field: "uniqueJobName",
      shows: '"yes"',
    },
    {
      name: "kubernetes-job: sluiceCommand a string",
      act: env("kubernetes-job", { jobSpecFile: "job.yaml", sluiceCommand: "sluice" }),
      code: "INVALID_OPTION",
      field: "sluiceCommand",
      shows: '"sluice"',
    },
    { name: "kubernetes-job: jobSpecFile a number", act: env("kubernetes-job", { jobSpecFile: 1 }), code: "INVALID_OPTION", field: "jobSpecFile", shows: "1" },
    {
      name: "kubernetes-job: unknown option",
      act: env("kubernetes-job", { jobSpecFile: "job.yaml", jobspecFile: "x.yaml" }),
      code: "INVALID_OPTION",
      field: "jobspecFile",
    },
    {
      name: "docker-on-kubernetes: dependencies a string",
      act: env("docker-on-kubernetes", { dependencies: "lodash" }),
      code: "INVALID_OPTION",
      field: "dependencies",
      shows: '"lodash"',
    },
    { name: "docker-on-kubernetes: files value a number", act: env("docker-on-kubernetes", { files: { "/a": 1 } }), code: "INVALID_OPTION", field: "files" },
    {
      name: "kubernetes-cluster: minWorkers negative",
      act: env("kubernetes-cluster", { minWorkers: -1 }),
      code: "INVALID_OPTION",
      field: "minWorkers",
      shows: "-1",
    },
    {
      name: "kubernetes-cluster: maxWorkers a string",
      act: env("kubernetes-cluster", { maxWorkers: "4" }),
      code: "INVALID_OPTION",
      field: "maxWorkers",
      shows: '"4"',
    },
    {
      name: "kubernetes-cluster: maxWorkers below minWorkers",
      act: env("kubernetes-cluster", { minWorkers: 4, maxWorkers: 2 }),
      code: "INVALID_OPTION",
      field: "maxWorkers",
    },
    { name: "kubernetes-cluster: broker a number", act: env("kubernetes-cluster", { broker: 6379 }), code: "INVALID_OPTION", field: "broker", shows: "6379" },
    {
      name: "kubernetes-cluster: scaleIntervalMs fractional",
      act: env("kubernetes-cluster", { scaleIntervalMs: 0.5 }),
      code: "INVALID_OPTION",
      field: "scaleIntervalMs",
      shows: "0.5",
    },
    {
      name: "cluster-on-kubernetes: maxWorkerFailures a string",
      act: env("cluster-on-kubernetes", { maxWorkerFailures: "2" }),
      code: "INVALID_OPTION",
      field: "maxWorkerFailures",
      shows: '"2"',
    },
    {
      name: "fargate-task: launchType unknown",
      act: env("fargate-task", { launchType: "LAMBDA" }),
      code: "INVALID_OPTION",
      field: "launchType",
      shows: '"LAMBDA"',
    },
    { name: "fargate-task: cpu a boolean", act: env("fargate-task", { cpu: true }), code: "INVALID_OPTION", field: "cpu", shows: "true" },
    {
      name: "fargate-task: containerDefinitions an object",
      act: env("fargate-task", { containerDefinitions: { name: "x" } }),
      code: "INVALID_OPTION",
      field: "containerDefinitions",
    },
    { name: "fargate-task: pollIntervalMs zero", act: env("fargate-task", { pollIntervalMs: 0 }), code: "INVALID_OPTION", field: "pollIntervalMs", shows: "0" },
    { name: "fargate-task: count a string", act: env("fargate-task", { count: "1" }), code: "INVALID_OPTION", field: "count", shows: '"1"' },
    {
      name: "fargate-task: a bad secret key is named, never shown",
      act: env("fargate-task", { awsSecretAccessKey: ["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"] }),
      code: "INVALID_OPTION",
      field: "awsSecretAccessKey",
      hides: "wJalrXUtnFEMI",
    },
  ]);
});

const storage = (kind: string, options: Record<string, unknown>) => () => createStorage(kind, options as JsonObject);

describe("bad storage options, every kind", () => {
  run([
    { name: "unknown kind", act: storage("s3", {}), code: "INVALID_OPTION", field: "storage", shows: '"s3"' },
    { name: "module: missing module", act: storage("module", {}), code: "INVALID_OPTION", field: "module" },
    {
      name: "module: a path instead of a package",
      act: storage("module", { module: "./flows.js" }),
      code: "INVALID_OPTION",
      field: "module",
      shows: '"./flows.js"',
    },
    { name: "module: unknown option", act: storage("module", { module: "a", path: "b" }), code: "INVALID_OPTION", field: "path" },
    {
      name: "local: validateHostname a string",
      act: storage("local", { validateHostname: "no" }),
      code: "INVALID_OPTION",
      field: "validateHostname",
      shows: '"no"',
    },
    { name: "docker: env name with a space", act: storage("docker", { env: { "A B": "1" } }), code: "INVALID_OPTION", field: "env", shows: '"A B"' },
    { name: "docker: env value with a line break", act: storage("docker", { env: { A: "1\n2" } }), code: "INVALID_OPTION", field: "env.A" },
    { name: "docker: empty baseImage", act: storage("docker", { baseImage: "" }), code: "INVALID_OPTION", field: "baseImage", shows: '""' },
    { name: "docker: dependencies with an empty spec", act: storage("docker", { dependencies: [""] }), code: "INVALID_OPTION", field: "dependencies.0" },
    { name: "docker: localImage a string", act: storage("docker", { localImage: "true" }), code: "INVALID_OPTION", field: "localImage", shows: '"true"' },
    { name: "docker: files destination a number", act: storage("docker", { files: { "a.txt": 3 } }), code: "INVALID_OPTION", field: "files" },
    { name: "docker: reserved build option", act: storage("docker", { buildOptions: { t: "x" } }), code: "INVALID_OPTION", field: "buildOptions" },
  ]);
});
