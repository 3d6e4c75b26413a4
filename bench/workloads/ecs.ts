/**
 * The ECS workload: ECS1, the time from the ECS agent's RunTask to the flow's first task starting,
 * against the ECS stand-in (test/support/ecs), which runs each task as a Docker container.
 *
 * Sluice: a real server (SQLite) and the ECS agent pointed at the stand-in through its configuration; a
 * two-task flow on FargateTaskEnvironment in a Docker storage image (built once, not measured). For each
 * run: from the task's `createdAt` (the stand-in sets it when RunTask is answered) to the first task run's
 * `startedAt` reported to the server (the container shares this machine's millisecond clock). This covers
 * the stand-in's lifecycle (PROVISIONING, PENDING, container start; about 30 ms are the stand-in's own
 * provisioning delay), Node and Sluice starting in the container, the flow's import, and the first report.
 * Baseline: a bare container of the same image (create, attach, start → the first clock reading of
 * `node -e`), measured in the same run. Median of 5 runs after one warm-up.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { Agent } from "../../src/agents/agent.js";
import { inheritedRunSettings } from "../../src/agents/deployer.js";
import { registrationOf } from "../../src/cli/registration.js";
import { configSchema } from "../../src/config/schema.js";
import { loadFlows } from "../../src/core/load.js";
import { createLogger } from "../../src/core/logger.js";
import { allTaskRuns } from "../../src/deployment/flow-run-entry.js";
import { buildFlows } from "../../src/deployment/prepare.js";
import { compileEcsAgentOptions, EcsDeployer } from "../../src/platforms/aws/ecs-agent.js";
import { FLOW_RUN_ID_TAG } from "../../src/platforms/aws/names.js";
import type { DockerStorage } from "../../src/storage/docker/index.js";
import { testConfig, waitForRun } from "../../test/agents/support.js";
import { sqliteTarget, startTestServer } from "../../test/server/support.js";
import { loadServiceModels, startEcsStandin } from "../../test/support/ecs/index.js";
import { services } from "../../test/support/services.js";
import { removeDir, scratchDir, writeFiles } from "../../test/storage/support.js";
import type { Measurement, Workload } from "../types.js";
import { bareDockerRun } from "./environments.js";

const quiet = createLogger({ level: "silent" });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const LABEL = "bench-ecs";

const FLOW_SOURCE = (storageOptions: string): string => `
import { flow, task, DockerStorage, FargateTaskEnvironment } from "sluice";
const first = task("first", async () => 1);
const second = task("second", async (n: number) => n + 1);
export const latency = flow("ecs-latency", { storage: new DockerStorage(${storageOptions}), environment: new FargateTaskEnvironment() }, () => second(first()));
`;

async function ecsLatency(): Promise<Measurement[]> {
  const docker = new Docker({ socketPath: services.dockerSocket });
  const dir = scratchDir("bench-ecs");
  const home = await mkdtemp(join(tmpdir(), "sluice-bench-ecs-"));
  const target = sqliteTarget();
  const tag = `b-${randomUUID().slice(0, 8)}`;
  const module = writeFiles(dir, {
    "latency.ts": FLOW_SOURCE(JSON.stringify({ baseImage: services.nodeImage, localImage: true, imageName: "sluice-bench-ecs", imageTag: tag })),
  });
  const [flow] = await loadFlows(module);
  await buildFlows([flow!], { config: configSchema().parse({ docker: { host: services.dockerSocket } }), push: false });
  const storage = flow!.storage as DockerStorage;
  const image = storage.image!;
  const server = await startTestServer(target, { home });
  const standin = await startEcsStandin();
  const config = testConfig(server.server.url, home, {
    SLUICE__AGENT__NAME: "bench-ecs-agent",
    SLUICE__AGENT__LABELS: LABEL,
    SLUICE__AGENT__MIN_POLL_INTERVAL_MS: "50",
    SLUICE__AWS__ENDPOINT: standin.endpoint,
    SLUICE__AWS__REGION_NAME: standin.region,
    SLUICE__AWS__AWS_ACCESS_KEY_ID: standin.credentials.accessKeyId,
    SLUICE__AWS__AWS_SECRET_ACCESS_KEY: standin.credentials.secretAccessKey,
    SLUICE__AWS__SUBNETS: "subnet-bench",
    SLUICE__AWS__POLL_INTERVAL_MS: "200",
  });
  const agent = new Agent({
    deployer: new EcsDeployer(compileEcsAgentOptions(config, { env: inheritedRunSettings(config) })),
    client: server.client,
    config,
    logger: quiet,
  });
  try {
    await agent.start();
    const { flowId } = await server.client.registerFlow(registrationOf(flow!, storage, [LABEL]));
    const sluice: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < 6; i++) {
      const run = await server.client.createFlowRun({ flowId, parameters: {} });
      const done = await waitForRun(server.client, run.id, undefined, 180_000);
      if (done.state.name !== "Success") throw new Error(`bench run ${run.id} ended ${done.state.name}: ${done.state.message ?? ""}`);
      const task = standin
        .tasks()
        .find((t) => (t.tags as { key: string; value: string }[] | undefined)?.some((x) => x.key === FLOW_RUN_ID_TAG && x.value === run.id));
      const firstStart = (await allTaskRuns(server.client, run.id))
        .map((t) => (t.startedAt ? Date.parse(t.startedAt) : Number.POSITIVE_INFINITY))
        .reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
      if (!task || !Number.isFinite(firstStart)) throw new Error(`bench run ${run.id}: no ECS task or no task start reported`);
      const b = await bareDockerRun(docker, image);
      if (i > 0) {
        sluice.push(firstStart - (task.createdAt as number) * 1000);
        bare.push(b);
      }
    }
    return [
      {
        metric: "ECS1 ECS agent RunTask → first task starts (ECS stand-in)",
        unit: "ms",
        value: median(sluice),
        baseline: median(bare),
        baselineName: "bare container of the same image: create, attach, start → first line of `node -e`",
        higherIsBetter: false,
        notes: `median of ${sluice.length} runs after one warm-up; includes the stand-in's task lifecycle (~30 ms simulated provisioning) and Sluice's start in the container; a real Fargate task adds 30-60 s of its own`,
      },
    ];
  } finally {
    await agent.stop({ stopRuns: true });
    await standin.close();
    await server.close();
    await target.cleanup();
    await rm(home, { recursive: true, force: true });
    removeDir(dir);
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
  }
}

/** The stand-in checks requests against botocore's service models, read at run time: without them, ECS1 is skipped. */
function modelsMissing(): string | null {
  const models = loadServiceModels();
  return "reason" in models ? `ECS stand-in: ${models.reason}` : null;
}

const workloads: Workload[] = [
  { id: "ECS1", title: "ECS agent: RunTask to first task, vs bare docker run", needs: ["docker"], unavailable: modelsMissing, run: ecsLatency },
];

export default workloads;
