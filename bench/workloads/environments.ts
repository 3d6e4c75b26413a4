/**
 * The environment workloads of issue 3: the time from `execute()` to the first task starting.
 *
 * - E1 LocalEnvironment: `execute()` to the first task's Running state, median of 20 runs; baseline:
 *   `flow.run()` of the same flow without an environment, in the same process.
 * - E2 DockerEnvironment: `execute()` to the first task's Running state (container created, started,
 *   Node and Sluice loaded, the flow imported from its bundle, the run begun), median of 5 runs; baseline:
 *   a bare container of the same image (create, start, attach) whose `node -e` prints its first clock
 *   reading, measured the same way. Building the image is not measured.
 *
 * E1 reads a high-resolution clock when the (synchronous) observer sees the first task's Running state;
 * E2 reads the timestamps the run reports (the container shares this machine's millisecond clock).
 */
import { randomUUID } from "node:crypto";
import { PassThrough } from "node:stream";
import Docker from "dockerode";
import { configSchema } from "../../src/config/schema.js";
import type { AnyFlow } from "../../src/core/flow.js";
import { loadFlows } from "../../src/core/load.js";
import { createLogger } from "../../src/core/logger.js";
import type { RunEvent } from "../../src/core/events.js";
import { buildFlows } from "../../src/deployment/prepare.js";
import { DockerEnvironment } from "../../src/platforms/docker/index.js";
import { LocalEnvironment } from "../../src/platforms/local/index.js";
import type { DockerStorage } from "../../src/storage/docker/index.js";
import { services } from "../../test/support/services.js";
import { removeDir, scratchDir, writeFiles } from "../../test/storage/support.js";
import type { Measurement, Workload } from "../types.js";

const quiet = createLogger({ level: "silent" });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const FLOW_SOURCE = (storageOptions: string): string => `
import { flow, task, DockerStorage } from "sluice";
const first = task("first", async () => 1);
const second = task("second", async (n: number) => n + 1);
export const latency = flow("environment-latency", { storage: new DockerStorage(${storageOptions}) }, () => second(first()));
`;

/** Milliseconds from `started` to the first task's Running state, by the timestamp the run reported. */
function firstTaskStart(events: RunEvent[], started: number): number {
  const running = events.find((e) => e.type === "task-run-state" && e.state.name === "Running");
  if (!running || running.type !== "task-run-state") throw new Error("the run reported no task start");
  return Date.parse(running.state.timestamp) - started;
}

/** Docker runs: the run's own state timestamps (millisecond clock shared with the container). */
async function timeToFirstTask(run: (observers: [(e: RunEvent) => void]) => Promise<unknown>): Promise<number> {
  const events: RunEvent[] = [];
  const started = Date.now();
  await run([(e) => events.push(e)]);
  return firstTaskStart(events, started);
}

/** In-process runs: the high-resolution clock when the observer sees the first Running state (observers are called synchronously). */
async function timeToFirstTaskHere(run: (observers: [(e: RunEvent) => void]) => Promise<unknown>): Promise<number> {
  let first: number | undefined;
  const started = performance.now();
  await run([(e) => void (first ??= e.type === "task-run-state" && e.state.name === "Running" ? performance.now() : undefined)]);
  if (first === undefined) throw new Error("the run reported no task start");
  return first - started;
}

async function withFlow<T>(body: (flow: AnyFlow, dir: string) => Promise<T>): Promise<T> {
  const dir = scratchDir("bench-env");
  try {
    const tag = `b-${randomUUID().slice(0, 8)}`;
    const module = writeFiles(dir, {
      "latency.ts": FLOW_SOURCE(JSON.stringify({ baseImage: services.nodeImage, localImage: true, imageName: "sluice-bench-latency", imageTag: tag })),
    });
    const [flow] = await loadFlows(module);
    return await body(flow!, dir);
  } finally {
    removeDir(dir);
  }
}

async function local(): Promise<Measurement[]> {
  return withFlow(async (flow) => {
    const env = new LocalEnvironment();
    const sluice: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < 21; i++) {
      const a = await timeToFirstTaskHere((observers) => env.execute(flow, { observers, logger: quiet, logLevel: "silent" }));
      const b = await timeToFirstTaskHere((observers) => flow.run({ observers, logger: quiet, logLevel: "silent" }));
      if (i > 0) {
        sluice.push(a);
        bare.push(b);
      }
    }
    return [
      {
        metric: "E1 execute() → first task starts (LocalEnvironment)",
        unit: "ms",
        value: median(sluice),
        baseline: median(bare),
        baselineName: "flow.run() of the same flow, no environment, same process",
        higherIsBetter: false,
        notes: `median of ${sluice.length} runs after one warm-up; high-resolution clock`,
      },
    ];
  });
}

/** A bare container of `image`: create → the first clock reading of `node -e` inside it, in ms (also the ECS workload's baseline). */
export async function bareDockerRun(docker: Docker, image: string): Promise<number> {
  const started = Date.now();
  const container = await docker.createContainer({ Image: image, Cmd: ["node", "-e", "console.log(Date.now())"], AttachStdout: true, Tty: false });
  try {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true });
    const out = new PassThrough();
    let text = "";
    out.on("data", (d: Buffer) => (text += d.toString()));
    docker.modem.demuxStream(stream, out, new PassThrough());
    await container.start();
    await container.wait();
    return Number(text.trim()) - started;
  } finally {
    await container.remove({ force: true });
  }
}

async function dockerLatency(): Promise<Measurement[]> {
  const docker = new Docker({ socketPath: services.dockerSocket });
  const config = configSchema().parse({ docker: { host: services.dockerSocket } });
  return withFlow(async (flow) => {
    await buildFlows([flow], { config, push: false });
    const image = (flow.storage as DockerStorage).image!;
    try {
      const env = new DockerEnvironment();
      const sluice: number[] = [];
      const bare: number[] = [];
      for (let i = 0; i < 6; i++) {
        const a = await timeToFirstTask((observers) => env.execute(flow, { observers, config }));
        const b = await bareDockerRun(docker, image);
        if (i > 0) {
          sluice.push(a);
          bare.push(b);
        }
      }
      return [
        {
          metric: "E2 execute() → first task starts (DockerEnvironment)",
          unit: "ms",
          value: median(sluice),
          baseline: median(bare),
          baselineName: "bare container of the same image: create, attach, start → first line of `node -e`",
          higherIsBetter: false,
          notes: `median of ${sluice.length} runs after one warm-up; the difference is Sluice's start in the container (CLI, config, flow import) and the run's setup`,
        },
      ];
    } finally {
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
    }
  });
}

const workloads: Workload[] = [
  { id: "E1", title: "execute() to first task, LocalEnvironment", run: local },
  { id: "E2", title: "execute() to first task, DockerEnvironment vs bare docker run", needs: ["docker"], run: dockerLatency },
];

export default workloads;
