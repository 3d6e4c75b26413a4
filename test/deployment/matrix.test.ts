/**
 * The deployment matrix, run: for every environment kind and every agent kind (src/platforms/capabilities.ts
 * reads them from the platforms' declarations), a flow of that environment registered on a server and
 * routed by label to an agent of that kind either runs to Success (its task states and log lines on the
 * server) or is refused when the agent claims it, the run Failed with an error naming the agent kinds that
 * can run it. Agents and server run in this process; runs in child processes (local agent), containers
 * (docker agent), Jobs of the Kubernetes stand-in with pods as containers (kubernetes agent) and tasks of
 * the ECS stand-in with containers as tasks (ecs agent). Every wait is bounded well under the cell's
 * time limit. Also: docs/agents.md prints the matrix as computed here.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Agent } from "../../src/agents/agent.js";
import { agentKind, followedEnvironmentTypes } from "../../src/agents/registry.js";
import { registrationOf } from "../../src/cli/registration.js";
import { inheritedEnv } from "../../src/config/index.js";
import type { SluiceConfig } from "../../src/config/schema.js";
import type { Environment } from "../../src/core/environment.js";
import type { AnyFlow } from "../../src/core/flow.js";
import { createLogger } from "../../src/core/logger.js";
import type { Storage } from "../../src/core/storage.js";
import { agentKindsFor, deploymentMatrix, routingOf, type MatrixCell } from "../../src/platforms/capabilities.js";
import { LocalDeployer } from "../../src/platforms/local/local-agent.js";
import { DockerDeployer } from "../../src/platforms/docker/docker-agent.js";
import { compileEcsAgentOptions, EcsDeployer } from "../../src/platforms/aws/ecs-agent.js";
import { inheritedRunSettings } from "../../src/agents/deployer.js";
import { DockerStorage } from "../../src/storage/docker/index.js";
import { LocalStorage } from "../../src/storage/local/index.js";
import { SOURCE_ENV, testConfig, waitForRun } from "../agents/support.js";
import { sqliteTarget, startTestServer, type TestServer } from "../server/support.js";
import { loadServiceModels, startEcsStandin, type EcsStandin } from "../support/ecs/index.js";
import { startKubeStandin, type KubeStandin } from "../support/kube/index.js";
import { missingServices, removeImage, services } from "../support/services.js";
import { matrixFlows } from "./fixtures/matrix-flows.js";
import { CLUSTER_KINDS, checkKubernetesRun } from "./matrix-kubernetes.js";
import { redisFiles } from "../platforms/aws/cluster/fixtures/redis-files.js";
import { matrixTable } from "./matrix-table.js";

const FLOWS: Record<string, AnyFlow | undefined> = matrixFlows;

/** Cells not run here yet, with the reason (environment kind / agent kind). */
const TODO: Record<string, string> = {};
const quiet = createLogger({ level: "silent" });
const label = (agent: string): string => `matrix-${agent}`;
const dockerMissing = await missingServices(["docker", "registry"]);
/** The worker-cluster cells also need Redis: their flows use it as the cluster's broker. */
const clusterMissing = dockerMissing ?? (await missingServices(["redis"]));
/** The ECS agent's cells also need botocore's service models (the ECS stand-in checks requests against them). */
const models = loadServiceModels();
const ecsMissing = dockerMissing ?? ("reason" in models ? `botocore's service models: ${models.reason}` : undefined);
/** How long a cell waits for its run's end: bounded, far below the cell's own limit. */
const RUN_WAIT_MS = 180_000;

describe("docs/agents.md", () => {
  it("prints the deployment matrix of the platforms' declarations", async () => {
    const doc = await readFile(fileURLToPath(new URL("../../docs/agents.md", import.meta.url)), "utf8");
    const table = matrixTable();
    assert.ok(doc.includes(`<!-- matrix -->\n${table}\n<!-- /matrix -->`), `docs/agents.md must hold, between <!-- matrix --> and <!-- /matrix -->:\n${table}`);
  });

  it("every cell is decided: launched, run in place, or refused naming the agent kinds that run it", () => {
    for (const cell of deploymentMatrix()) {
      assert.ok(["launches", "in place", "refused"].includes(cell.how));
      assert.ok(agentKindsFor(cell.type).length > 0, `${cell.type} runs on some agent kind`);
    }
  });
});

describe("the deployment matrix, run", { timeout: 1_800_000 }, () => {
  const target = sqliteTarget();
  let server: TestServer;
  let home: string;
  let kube: KubeStandin | undefined;
  let ecs: EcsStandin | undefined;
  let image: DockerStorage | undefined;
  const agents: Agent[] = [];

  const config = (agent: string, extra: Record<string, string> = {}): SluiceConfig =>
    testConfig(server.server.url, home, {
      SLUICE__AGENT__NAME: `matrix-${agent}-agent`,
      SLUICE__AGENT__LABELS: label(agent),
      SLUICE__LOGGING__LEVEL: "info",
      SLUICE__DOCKER__BASE_IMAGE: services.nodeImage,
      ...extra,
    });

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "sluice-matrix-"));
    server = await startTestServer(target, { home });
    const local = new LocalDeployer({
      env: { ...inheritedEnv(), ...SOURCE_ENV, SLUICE__HOME: home, SLUICE__LOGGING__BATCH_INTERVAL_MS: "50", NODE_OPTIONS: undefined },
      logDir: join(home, "agent-runs"),
      ...routingOf("local"),
    });
    agents.push(new Agent({ deployer: local, client: server.client, config: config("local"), logger: quiet }));
    if (!dockerMissing) {
      // The image carries the suites' Redis address (the worker-cluster flows on Kubernetes read their broker from
      // it) and redis-server (the broker task of the CloudClusterEnvironment cell runs it).
      image = new DockerStorage({
        registryUrl: services.registry,
        imageName: "sluice-matrix",
        imageTag: `t${process.pid}`,
        env: { REDIS_URL: services.redisUrl },
        files: redisFiles(),
      });
      for (const flow of Object.values(matrixFlows)) image.addFlow(flow);
      await image.build({ config: config("build") });
      kube = await startKubeStandin({ runner: "docker" });
      const docker = config("docker");
      agents.push(
        new Agent({
          deployer: new DockerDeployer({ env: inheritedRunSettings(docker), ...routingOf("docker") }),
          client: server.client,
          config: docker,
          logger: quiet,
        }),
      );
      const k8s = config("kubernetes", { SLUICE__KUBERNETES__KUBECONFIG: kube.kubeconfigPath });
      const deployer = await (
        await agentKind("kubernetes").load()
      )({ config: k8s, logger: quiet, followedTypes: followedEnvironmentTypes("kubernetes"), runnersOf: agentKindsFor });
      agents.push(new Agent({ deployer, client: server.client, config: k8s, logger: quiet }));
    }
    if (!ecsMissing) {
      // The ECS agent pointed at the ECS stand-in through its configuration, as a user points it at AWS.
      ecs = await startEcsStandin();
      const reach = {
        SLUICE__AWS__ENDPOINT: ecs.endpoint,
        SLUICE__AWS__REGION_NAME: ecs.region,
        SLUICE__AWS__AWS_ACCESS_KEY_ID: ecs.credentials.accessKeyId,
        SLUICE__AWS__AWS_SECRET_ACCESS_KEY: ecs.credentials.secretAccessKey,
      };
      const aws = config("ecs", {
        ...reach,
        SLUICE__AWS__SUBNETS: "subnet-matrix",
        SLUICE__AWS__POLL_INTERVAL_MS: "200",
        SLUICE__AWS__START_DEADLINE_MS: "120000",
      });
      const { runs, runnersOf } = routingOf("ecs");
      // A task that launches more tasks (CloudClusterEnvironment's scheduler, in stage deploy) reaches ECS as
      // a deployment's would: through the variables of the agent's task definition.
      const deployer = new EcsDeployer(compileEcsAgentOptions(aws, { env: { ...inheritedRunSettings(aws), ...reach }, inTaskTypes: runs, runnersOf }));
      agents.push(new Agent({ deployer, client: server.client, config: aws, logger: quiet }));
    }
    for (const agent of agents) await agent.start();
  });
  after(async () => {
    for (const agent of agents) await agent.stop({ stopRuns: true });
    await kube?.close();
    await ecs?.close();
    await removeImage(image?.image);
    await server?.close();
    await target.cleanup();
    if (home) await rm(home, { recursive: true, force: true });
  });

  /** Registers `flow` with `storage` for the agent of `cell` only (its label) and runs it to its end. */
  const runCell = async (cell: MatrixCell, flow: AnyFlow, storage: Storage) => {
    const environment = flow.environment as Environment;
    environment.labels.clear();
    delete environment.metadata.image;
    const { flowId } = await server.client.registerFlow(registrationOf(flow, storage, [label(cell.agent)]));
    const run = await server.client.createFlowRun({ flowId });
    const done = await waitForRun(server.client, run.id, undefined, RUN_WAIT_MS);
    const logs = (await server.client.readLogs(run.id)).items.map((l) => `${l.level} ${l.message}`);
    return { done, logs };
  };

  for (const cell of deploymentMatrix()) {
    const name = `${cell.type} × ${cell.agent} agent: ${cell.how === "refused" ? `refused, runs on ${agentKindsFor(cell.type).join(", ")}` : cell.how}`;
    const flow = FLOWS[cell.environment];
    const needsDocker = cell.agent !== "local" || (cell.how !== "refused" && cell.environment !== "local");
    const cluster = cell.agent === "kubernetes" && CLUSTER_KINDS.has(cell.environment);
    const [missing, needs] =
      cell.agent === "ecs"
        ? [ecsMissing, "docker, registry, botocore"]
        : cluster
          ? [clusterMissing, "docker, registry, redis"]
          : [needsDocker ? dockerMissing : undefined, "docker, registry"];
    const todo = TODO[`${cell.environment}/${cell.agent}`];
    if (!flow) {
      it(name, { todo: `no fixture flow for ${cell.environment} yet` }, () => undefined);
    } else if (todo) {
      it(name, { todo }, () => undefined);
    } else if (missing) {
      if (process.env.CI === "true") it(name, () => assert.fail(`service missing under CI=true: ${missing}`));
      else it(name, { skip: `needs ${needs}: ${missing}` }, () => undefined);
    } else {
      it(name, { timeout: RUN_WAIT_MS + 60_000 }, async () => {
        const storage: Storage = cell.agent === "local" ? Object.assign(new LocalStorage(), {}) : image!;
        if (storage instanceof LocalStorage) storage.addFlow(flow);
        const { done, logs } = await runCell(cell, flow, storage);
        if (cell.how === "refused") {
          assert.equal(done.state.name, "Failed", `${done.state.message}\n${logs.join("\n")}`);
          const kinds = agentKindsFor(cell.type);
          assert.match(
            done.state.message ?? "",
            new RegExp(`a ${cell.agent} agent cannot run flow "${flow.name}": its environment ${cell.type} runs on agent kinds ${kinds.join(", ")}`),
          );
        } else {
          assert.equal(done.state.name, "Success", `${done.state.message}\n${logs.join("\n")}`);
          assert.ok(logs.includes("info matrix total 6"), logs.join("\n"));
          if (cell.agent === "kubernetes" && cell.how === "launches") await checkKubernetesRun(kube!, cell, done.id, image!.image!);
        }
      });
    }
  }
});
