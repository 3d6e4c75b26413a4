/**
 * The secret scan: runs flows in every environment kind that runs here (local processes, a DockerEnvironment
 * container started by the Docker agent, Kubernetes Jobs on the stand-in) against a server with API keys on, with the agent holding an API key and AWS
 * credentials and the server holding a secret. Then it reads everything Sluice wrote or sent, and fails
 * naming each place where one of those values appears in plain text:
 * - every row of every table of the server's database, and the raw bytes of its files (WAL included);
 * - every log line of the server and of the agents, and every file under Sluice's home (run logs);
 * - the serialized flows sent to the server;
 * - every Kubernetes object created (Secrets excepted: holding the key is their job), the objects left,
 *   their events, and the pods' logs;
 * - the Docker run's image (every byte `docker save` writes: layers, configuration, history) and its
 *   container: its whole inspection (the API key may appear once, as SLUICE__API__KEY in its environment:
 *   a container has no other way to receive it) and its output.
 * The ECS stand-in's task definitions and RunTask bodies are scanned by test/platforms/aws/agent-e2e.test.ts
 * (it needs an image built and pushed; see its last cases).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { CoreV1Api } from "@kubernetes/client-node";
import Docker from "dockerode";
import { Agent } from "../../src/agents/agent.js";
import { inheritedRunSettings } from "../../src/agents/deployer.js";
import { registrationOf } from "../../src/cli/commands/register.js";
import { loadConfig } from "../../src/config/index.js";
import type { AnyFlow } from "../../src/core/flow.js";
import { loadFlows } from "../../src/core/load.js";
import { createLogger } from "../../src/core/logger.js";
import { LocalDeployer } from "../../src/platforms/local/local-agent.js";
import { KubernetesDeployer, compileKubernetesAgentOptions } from "../../src/platforms/kubernetes/kubernetes-agent.js";
import { DockerDeployer, demux } from "../../src/platforms/docker/docker-agent.js";
import { routingOf } from "../../src/platforms/capabilities.js";
import { DEFAULT_API_KEY_SECRET } from "../../src/platforms/kubernetes/agent-options.js";
import { createApiKeyInDatabase, openDatabase } from "../../src/server/index.js";
import { DockerStorage } from "../../src/storage/docker/index.js";
import { LocalStorage } from "../../src/storage/local/index.js";
import { FIXTURES, testConfig, waitForRun } from "../agents/support.js";
import { sqliteTarget, startTestServer, type TestServer } from "../server/support.js";
import { startKubeStandin, type KubeStandin } from "../support/kube/index.js";
import { SLUICE_FROM_SOURCE } from "../platforms/kubernetes/fixtures/k8s-flow.js";
import { matrixDocker } from "../deployment/fixtures/matrix-flows.js";
import { missingServices, services } from "../support/services.js";

const K8S_FLOWS = fileURLToPath(new URL("../platforms/kubernetes/fixtures/k8s-flow.ts", import.meta.url));
const AWS_ACCESS_KEY_ID = "AKIASECRETSCAN000042";
const AWS_SECRET_ACCESS_KEY = "scan-Secret-Access-Key-7c4e91b2aa";
const SERVER_SECRET = "scan-server-secret-value-3f9d02";
const dockerMissing = await missingServices(["docker"]);

/** Where a secret value was found. */
interface Hit {
  secret: string;
  where: string;
}

describe("secret scan: no credential in plain text where Sluice writes or sends", { timeout: 600_000 }, () => {
  const target = sqliteTarget();
  let server: TestServer;
  let kube: KubeStandin;
  let home: string;
  let apiKey: string;
  const agents: Agent[] = [];
  const agentLines: string[] = [];
  const registrations: string[] = [];
  const secrets = (): Record<string, string> => ({
    "API key": apiKey,
    "AWS access key id": AWS_ACCESS_KEY_ID,
    "AWS secret access key": AWS_SECRET_ACCESS_KEY,
    "server secret": SERVER_SECRET,
  });
  const hits: Hit[] = [];
  const scan = (where: string, text: string): void => {
    for (const [secret, value] of Object.entries(secrets())) if (text.includes(value)) hits.push({ secret, where });
  };
  /** Scans a byte stream chunk by chunk, keeping the end of each chunk so a value cut in two is still found. */
  const scanStream = async (where: string, stream: NodeJS.ReadableStream): Promise<number> => {
    const keep = Math.max(...Object.values(secrets()).map((v) => v.length));
    let tail = "";
    let bytes = 0;
    const found = new Set<string>();
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      const text = tail + chunk.toString("latin1");
      for (const [secret, value] of Object.entries(secrets())) if (text.includes(value)) found.add(secret);
      tail = text.slice(-keep);
    }
    for (const secret of found) hits.push({ secret, where });
    return bytes;
  };
  const docker = new Docker({ socketPath: services.dockerSocket });
  let dockerImage: string | undefined;
  let dockerRunId: string | undefined;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), "sluice-secret-scan-"));
    const databaseUrl = await target.newDatabaseUrl();
    ({ key: apiKey } = await createApiKeyInDatabase({
      config: loadConfig({ env: { SLUICE__HOME: home, SLUICE__SERVER__DATABASE_URL: databaseUrl }, file: false }),
      name: "secret-scan",
    }));
    server = await startTestServer(target, { home, databaseUrl, apiKey, env: { SLUICE__SERVER__AUTH: "true" } });
    await server.client.setSecret("scan-secret", SERVER_SECRET);
    kube = await startKubeStandin({ runner: "process" });
    await kube.kubeConfig
      .makeApiClient(CoreV1Api)
      .createNamespacedSecret({ namespace: "default", body: { metadata: { name: DEFAULT_API_KEY_SECRET }, stringData: { "api-key": apiKey } } });
  });

  after(async () => {
    await Promise.all(agents.map((a) => a.stop({ stopRuns: true })));
    if (dockerRunId) {
      const left = await docker.listContainers({ all: true, filters: { label: [`sluice.io/flow-run-id=${dockerRunId}`] } });
      for (const c of left)
        await docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined);
    }
    if (dockerImage)
      await docker
        .getImage(dockerImage)
        .remove({ force: true })
        .catch(() => undefined);
    await kube?.close();
    await server?.close();
    await target.cleanup();
    if (home) await rm(home, { recursive: true, force: true });
  });

  const agentConfig = (label: string, extra: Record<string, string> = {}) =>
    testConfig(server.server.url, home, {
      SLUICE__API__KEY: apiKey,
      SLUICE__AGENT__NAME: `scan-${label}`,
      SLUICE__AGENT__LABELS: label,
      SLUICE__LOGGING__LEVEL: "debug",
      SLUICE__AWS__AWS_ACCESS_KEY_ID: AWS_ACCESS_KEY_ID,
      SLUICE__AWS__AWS_SECRET_ACCESS_KEY: AWS_SECRET_ACCESS_KEY,
      ...extra,
    });
  const agentLogger = () =>
    createLogger({
      level: "debug",
      destination: new Writable({
        write(chunk: Buffer, _encoding, callback) {
          agentLines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
          callback();
        },
      }),
    });
  const register = async (flow: AnyFlow, label: string, storage: LocalStorage | DockerStorage = new LocalStorage()): Promise<string> => {
    if (storage instanceof LocalStorage) storage.addFlow(flow);
    const registration = registrationOf(flow, storage, [label]);
    registrations.push(JSON.stringify(registration));
    return (await server.client.registerFlow(registration)).flowId;
  };

  it("a local run (the local agent's process) ends Success", async () => {
    const config = agentConfig("scan-local");
    const deployer = new LocalDeployer({
      env: { ...process.env, SLUICE_DEV: "1", SLUICE__HOME: home, SLUICE__LOGGING__BATCH_INTERVAL_MS: "50", NODE_OPTIONS: undefined },
      logDir: join(home, "agent-runs"),
    });
    const agent = new Agent({ deployer, client: server.client, config, logger: agentLogger() });
    agents.push(agent);
    await agent.start();
    const squares = (await loadFlows(FIXTURES)).find((f) => f.name === "agent-squares")!;
    const flowId = await register(squares, "scan-local");
    const run = await server.client.createFlowRun({ flowId, parameters: { n: 2 } });
    const done = await waitForRun(server.client, run.id, undefined, 120_000);
    assert.equal(done.state.name, "Success", done.state.message);
  });

  it("a Kubernetes Job run (stand-in) ends Success, its pods taking the API key from a Secret", async () => {
    const config = agentConfig("scan-k8s", { SLUICE__KUBERNETES__KUBECONFIG: kube.kubeconfigPath });
    const deployer = new KubernetesDeployer(compileKubernetesAgentOptions(config, { sluiceCommand: SLUICE_FROM_SOURCE, env: inheritedRunSettings(config) }));
    const agent = new Agent({ deployer, client: server.client, config, logger: agentLogger() });
    agents.push(agent);
    await agent.start();
    const [k8sFlow] = await loadFlows(K8S_FLOWS);
    const flowId = await register(k8sFlow!, "scan-k8s");
    const run = await server.client.createFlowRun({ flowId, parameters: {} });
    const done = await waitForRun(server.client, run.id, undefined, 240_000);
    assert.equal(done.state.name, "Success", done.state.message);
  });

  const dockerSkip = dockerMissing && process.env.CI !== "true" ? `needs docker: ${dockerMissing}` : false;
  it(
    "a DockerEnvironment run (the Docker agent's container) ends Success; its image and container hold no credential but the key in SLUICE__API__KEY",
    { skip: dockerSkip },
    async () => {
      assert.equal(dockerMissing, null, `under CI=true Docker must be available: ${dockerMissing}`);
      // The build gets the same configuration as the agents: API key and AWS credentials in reach.
      const config = agentConfig("scan-docker", { SLUICE__DOCKER__BASE_IMAGE: services.nodeImage });
      const storage = new DockerStorage({ imageName: "sluice-secret-scan", imageTag: `t${process.pid}`, baseImage: services.nodeImage, localImage: true });
      storage.addFlow(matrixDocker);
      await storage.build({ config });
      dockerImage = storage.image;
      assert.ok(dockerImage, "the build named its image");
      const deployer = new DockerDeployer({ env: inheritedRunSettings(config), keepContainers: true, ...routingOf("docker") });
      const agent = new Agent({ deployer, client: server.client, config, logger: agentLogger() });
      agents.push(agent);
      await agent.start();
      const environment = matrixDocker.environment as { labels: Set<string> };
      environment.labels.clear();
      const flowId = await register(matrixDocker, "scan-docker", storage);
      const run = await server.client.createFlowRun({ flowId });
      dockerRunId = run.id;
      const done = await waitForRun(server.client, run.id, undefined, 240_000);
      assert.equal(done.state.name, "Success", done.state.message);
      // The container, kept after it exited: everything the engine knows of it, and its output.
      const [info] = await docker.listContainers({ all: true, filters: { label: [`sluice.io/flow-run-id=${run.id}`] } });
      assert.ok(info, "the run's container was kept");
      const container = docker.getContainer(info.Id);
      const inspected = await container.inspect();
      const intended = `SLUICE__API__KEY=${apiKey}`;
      assert.equal(inspected.Config.Env.filter((e) => e === intended).length, 1, "the container received the API key, once, in SLUICE__API__KEY");
      scan(
        `container ${info.Id.slice(0, 12)} inspection (SLUICE__API__KEY set aside)`,
        JSON.stringify({ ...inspected, Config: { ...inspected.Config, Env: inspected.Config.Env.filter((e) => e !== intended) } }),
      );
      const output = demux((await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
      assert.ok(output.length > 0, "the container wrote output");
      output.forEach((line, i) => scan(`container ${info.Id.slice(0, 12)} output line ${i}`, line));
      // The image: every byte of its layers, configuration and history.
      const bytes = await scanStream(`image ${dockerImage}`, await docker.getImage(dockerImage).get());
      assert.ok(bytes > 1_000_000, `the image was read whole (${bytes} bytes)`);
    },
  );

  it("no secret appears in the database, logs, files, serialized flows or Kubernetes objects", async () => {
    await Promise.all(agents.splice(0).map((a) => a.stop({ stopRuns: true })));
    // The database: every row of every table, then the raw files.
    const db = await openDatabase(server.databaseUrl);
    try {
      const tables = await db.driver.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'", []);
      assert.ok(tables.length > 5, "the tables were listed");
      for (const { name } of tables) {
        const rows = await db.driver.all<Record<string, unknown>>(`SELECT * FROM "${name}"`, []);
        rows.forEach((row, i) => scan(`database table ${name}, row ${i}`, JSON.stringify(row)));
      }
      const stored = await db.driver.all<Record<string, unknown>>("SELECT * FROM secrets", []);
      assert.equal(stored.length, 1, "the server's secret is stored (encrypted), so its row was scanned");
    } finally {
      await db.close();
    }
    const dbFile = server.databaseUrl.replace(/^sqlite:/, "");
    for (const file of await readdir(dirname(dbFile))) scan(`database file ${file}`, (await readFile(join(dirname(dbFile), file))).toString("latin1"));
    // Logs and files.
    server.logs.forEach((line, i) => scan(`server log line ${i}`, line));
    agentLines.forEach((line, i) => scan(`agent log line ${i}`, line));
    assert.ok(agentLines.length > 0 && server.logs.length > 0, "the logs were captured");
    for (const entry of await readdir(home, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      scan(`file ${path}`, (await readFile(path)).toString("latin1"));
    }
    registrations.forEach((r, i) => scan(`serialized flow ${i}`, r));
    // Kubernetes: everything created, except the Secret made to hold the key (where the scan must see
    // it: the check that it would see it anywhere else).
    const [held] = kube.hooks.received.filter((r) => r.resource === "secrets");
    assert.ok(held && JSON.stringify(held.body).includes(apiKey), "the scan sees the key in the Secret that holds it");
    const created = kube.hooks.received.filter((r) => r.resource !== "secrets");
    assert.ok(
      created.some((r) => r.resource === "jobs"),
      "Jobs were created",
    );
    created.forEach((r) =>
      scan(`Kubernetes ${r.verb} ${r.resource}${r.subresource ? `/${r.subresource}` : ""} ${r.namespace ?? ""}/${r.name ?? ""}`, JSON.stringify(r.body)),
    );
    for (const resource of ["jobs", "pods", "events", "configmaps"])
      kube.hooks.objects(resource).forEach((o) => scan(`Kubernetes ${resource} ${o.metadata.namespace}/${o.metadata.name}`, JSON.stringify(o)));
    for (const pod of kube.pods()) scan(`log of pod ${pod.metadata.name}`, kube.logs(pod.metadata.name!, { namespace: pod.metadata.namespace }));
    assert.deepEqual(hits, [], `secrets found in plain text:\n${hits.map((h) => `- the ${h.secret} in ${h.where}`).join("\n")}`);
  });
});
