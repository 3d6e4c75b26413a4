/**
 * The ECS cluster workload: CC1, the time from a run's start to its first task running on a
 * CloudClusterEnvironment's worker, against the ECS stand-in (test/support/ecs), which runs each task as a
 * Docker container on this machine's network.
 *
 * Sluice: `execute()` of a three-task flow on CloudClusterEnvironment (1 worker, the run's own broker
 * task with TLS and a password), here in this process as the scheduler; from the call to the timestamp
 * of the first task's log line, written by the worker task (the containers share this machine's
 * millisecond clock). This covers the broker task's start and its TLS handshake, the worker task's start
 * (Node, Sluice, the flow's import) and the first job's trip through the broker. The image (the flow,
 * redis-server) is built once and not measured; each run registers nothing new after the warm-up.
 * Baseline: the same flow on the local executor (LocalEnvironment's `execute()`), same process, same
 * measure. Median of 3 runs after one warm-up each.
 */
import { randomUUID } from "node:crypto";
import Docker from "dockerode";
import { configSchema, type SluiceConfig } from "../../src/config/schema.js";
import type { RunEvent } from "../../src/core/events.js";
import type { AnyFlow } from "../../src/core/flow.js";
import { loadFlows } from "../../src/core/load.js";
import { createLogger } from "../../src/core/logger.js";
import { buildFlows } from "../../src/deployment/prepare.js";
import { LocalEnvironment } from "../../src/platforms/local/index.js";
import type { DockerStorage } from "../../src/storage/docker/index.js";
import { freePort, redisFiles } from "../../test/platforms/aws/cluster/fixtures/redis-files.js";
import { loadServiceModels, startEcsStandin, type EcsStandin } from "../../test/support/ecs/index.js";
import { services } from "../../test/support/services.js";
import { removeDir, scratchDir, writeFiles } from "../../test/storage/support.js";
import type { Measurement, Workload } from "../types.js";

const quiet = createLogger({ level: "silent" });
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const FIRST_LINE = "bench-cluster first task";

/** The flow: its first task logs a line (the measure), the others add; the broker's port comes from the run's parameters. */
const FLOW_SOURCE = (storageOptions: string): string => `
import { z } from "zod";
import { flow, task, CloudClusterEnvironment, DockerStorage } from "sluice";
const first = task("first", async (_: void, ctx) => { ctx.logger.info(${JSON.stringify(FIRST_LINE)}); return 1; });
const second = task("second", async (n: number) => n + 1);
const third = task("third", async (n: number) => n + 1);
const environment = new CloudClusterEnvironment({
  workers: 1,
  networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-bench"] } },
  pollIntervalMs: 100,
  onExecute: (parameters, provider) => { provider.brokerPort = parameters.brokerPort; },
});
export const latency = flow(
  "cloud-cluster-latency",
  { storage: new DockerStorage(${storageOptions}), environment, parameters: z.object({ brokerPort: z.number().default(6390) }) },
  () => third(second(first())),
);
`;

/** Milliseconds from the call to the first task's log line, by the timestamp of that line. */
async function timeToFirstLine(run: (observers: [(e: RunEvent) => void]) => Promise<unknown>): Promise<number> {
  let line: string | undefined;
  const started = Date.now();
  await run([(e) => void (line ??= e.type === "log" && e.record.message === FIRST_LINE ? e.record.timestamp : undefined)]);
  if (line === undefined) throw new Error(`the run logged no "${FIRST_LINE}" line`);
  return Date.parse(line) - started;
}

export function succeeded(result: unknown): void {
  const state = (result as { kind: string; result?: { state: { name: string; message?: string } } }).result?.state;
  if (state?.name !== "Success") throw new Error(`bench run ended ${state?.name ?? "without a result"}: ${state?.message ?? ""}`);
}

/** What a bench on the ECS stand-in works with: the flow loaded from its source (image built), and a config reaching the stand-in. */
export interface EcsBench {
  flow: AnyFlow;
  config: SluiceConfig;
  standin: EcsStandin;
  /** A tag unique to this bench, for run ids. */
  tag: string;
}

/**
 * Starts the ECS stand-in, writes the flow module `flowSource(storageOptions)` and builds its image (not
 * measured), calls `body`, then stops the stand-in (every task container) and removes the image and files.
 */
export async function withEcsBench<T>(imageName: string, flowSource: (storageOptions: string) => string, body: (bench: EcsBench) => Promise<T>): Promise<T> {
  const models = loadServiceModels();
  if ("reason" in models) throw new Error(`the ECS stand-in needs botocore's service models (apt-get install python3-botocore): ${models.reason}`);
  const docker = new Docker({ socketPath: services.dockerSocket });
  const dir = scratchDir(imageName);
  const tag = `b-${randomUUID().slice(0, 8)}`;
  const storageOptions = { baseImage: services.nodeImage, localImage: true, imageName, imageTag: tag, files: redisFiles() };
  let image: string | undefined;
  const standin = await startEcsStandin({ timings: { stopTimeoutMs: 3000 } });
  try {
    const [flow] = (await loadFlows(writeFiles(dir, { "flow.ts": flowSource(JSON.stringify(storageOptions)) }))) as [AnyFlow];
    await buildFlows([flow], { config: configSchema().parse({ docker: { host: services.dockerSocket } }), push: false });
    image = (flow.storage as DockerStorage).image!;
    const config: SluiceConfig = configSchema().parse({
      api: { url: "http://127.0.0.1:9" },
      logging: { level: "warn" },
      aws: {
        endpoint: standin.endpoint,
        regionName: standin.region,
        awsAccessKeyId: standin.credentials.accessKeyId,
        awsSecretAccessKey: standin.credentials.secretAccessKey,
      },
    });
    return await body({ flow, config, standin, tag });
  } finally {
    await standin.close();
    removeDir(dir);
    if (image) {
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }
}

async function clusterLatency(): Promise<Measurement[]> {
  return withEcsBench("sluice-bench-ecs-cluster", FLOW_SOURCE, async ({ flow, config, tag }) => {
    const cluster = flow.environment as unknown as { execute: (f: AnyFlow, o: Record<string, unknown>) => Promise<unknown> };
    const local = new LocalEnvironment();
    const sluice: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < 4; i++) {
      const parameters = { brokerPort: await freePort() };
      const a = await timeToFirstLine(async (observers) => {
        const result = await cluster.execute(flow, { flowRunId: `bench-cc-${tag}-${i}`, config, parameters, observers, logger: quiet, logLevel: "info" });
        succeeded(result);
      });
      const b = await timeToFirstLine(async (observers) => succeeded(await local.execute(flow, { parameters, observers, logger: quiet, logLevel: "info" })));
      if (i > 0) {
        sluice.push(a);
        baseline.push(b);
      }
    }
    return [
      {
        metric: "CC1 run start → first task on the cluster's worker (CloudClusterEnvironment, ECS stand-in)",
        unit: "ms",
        value: median(sluice),
        baseline: median(baseline),
        baselineName: "the same flow on the local executor (LocalEnvironment.execute), same process",
        higherIsBetter: false,
        notes: `median of ${sluice.length} runs after one warm-up; 1 worker; includes the broker task (TLS, password) and the worker task starting as containers (the stand-in's ~30 ms provisioning each); a real Fargate cluster adds 30-60 s per task start`,
      },
    ];
  });
}

const workloads: Workload[] = [
  { id: "CC1", title: "CloudClusterEnvironment: run start to first task on an ECS worker, vs the local executor", needs: ["docker"], run: clusterLatency },
];

export default workloads;
