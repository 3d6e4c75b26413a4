/**
 * The example flows the Docker tests build into an image: written into a scratch directory of the
 * repository (so they import "sluice"), with a local npm package as a dependency (installed beside the
 * module, as a user's would be), a data file, and env.
 */
import type { ContainerExit } from "../../../src/platforms/docker/container-run.js";
import { services } from "../../support/services.js";
import { writeFiles } from "../../storage/support.js";

export interface DockerFixture {
  /** The flows' module. */
  module: string;
  imageName: string;
  imageTag: string;
}

/** Writes the fixture module into `dir`; the storage pushes to the test registry. */
export function writeDockerFixture(dir: string, imageName: string, imageTag: string): DockerFixture {
  const module = writeFiles(dir, {
    "flows.ts": `
import { readFileSync } from "node:fs";
import { z } from "zod";
import { flow, task, DockerStorage, DockerEnvironment } from "sluice";
import { pad } from "tiny-pad";
import { greeting } from "./helper.js";

const storage = new DockerStorage({
  registryUrl: ${JSON.stringify(services.registry)},
  imageName: ${JSON.stringify(imageName)},
  imageTag: ${JSON.stringify(imageTag)},
  baseImage: ${JSON.stringify(services.nodeImage)},
  localImage: true,
  dependencies: [${JSON.stringify(`${dir}/node_modules/tiny-pad`)}],
  files: { ${JSON.stringify(`${dir}/data.txt`)}: "/opt/data/data.txt" },
  env: { GREETING_STYLE: 'loud "and" $proud' },
});

const hello = task("hello", async ({ name }: { name: string }, ctx) => {
  ctx.logger.info("greeting " + name);
  console.log("plain stdout line");
  return greeting(name);
});
const shout = task("shout", async (s: string) => pad(s.toUpperCase()));
const probe = task("probe", async (_: void, ctx) => ({
  data: readFileSync("/opt/data/data.txt", "utf8").trim(),
  style: process.env.GREETING_STYLE,
  runId: process.env.SLUICE__CONTEXT__FLOW_RUN_ID,
  ctxRunId: ctx.flowRunId,
  image: process.env.SLUICE__CONTEXT__IMAGE,
  filePath: process.env.SLUICE__CONTEXT__FLOW_FILE_PATH,
  useLocalSecrets: process.env.SLUICE__API__USE_LOCAL_SECRETS,
  level: process.env.SLUICE__LOGGING__LEVEL,
  myEnv: process.env.MY_ENV,
}));

export const story = flow(
  "docker-story",
  { parameters: z.object({ name: z.string().default("world") }), storage, environment: new DockerEnvironment({ labels: ["docker"] }) },
  (p) => ({ shouted: shout(hello({ name: p.name })), probe: probe() }),
);

const nap = task("nap", async (_: void, ctx) => {
  ctx.logger.info("sleeping");
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, 120_000);
    ctx.signal.addEventListener("abort", () => { clearTimeout(timer); reject(ctx.signal.reason); }, { once: true });
  });
  return "woke";
});
export const sleepy = flow("docker-sleepy", { storage }, () => nap());

const broken = task("broken", async () => { throw new Error("broken on purpose in the container"); });
export const failing = flow("docker-failing", { storage }, () => broken());
`,
    "helper.ts": `export const greeting = (name: string): string => "hello, " + name;\n`,
    "data.txt": "data from the host\n",
    "node_modules/tiny-pad/package.json": JSON.stringify({ name: "tiny-pad", version: "1.0.0", type: "module", exports: "./index.js" }),
    "node_modules/tiny-pad/index.js": `export const pad = (s) => "[" + s + "]";\n`,
  });
  return { module, imageName, imageTag };
}

/** A container that exited 0 with no output, with `over` changed: what the unit tests of container endings start from. */
export const containerExit = (over: Partial<ContainerExit>): ContainerExit => ({
  containerId: "0123456789abcdef",
  exitCode: 0,
  signal: undefined,
  oomKilled: false,
  cancelled: false,
  result: undefined,
  stderrTail: [],
  ...over,
});
