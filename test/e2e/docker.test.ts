/**
 * End to end with the Docker agent: `sluice register` builds the flows' Docker storage image (and sets
 * metadata.image), `sluice agent start docker` runs each claimed run in a container of that image
 * (stage A inside), labelled with the run id and removed after exit. A deploy error (an image that
 * cannot be pulled) and a killed container fail their runs with the reason.
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Docker from "dockerode";
import { createClient, type FlowRun, type SluiceClient, type TaskRun } from "../../src/client/index.js";
import { serviceSuite, services } from "../support/services.js";
import { waitFor, waitForRun } from "../agents/support.js";
import { json, killAll, runSluice, startSluice, type SluiceProcess } from "./support.js";

const FLOWS = fileURLToPath(new URL("./fixtures/docker-flows.ts", import.meta.url));
const docker = new Docker({ socketPath: services.dockerSocket });
const containersOf = (flowRunId: string): Promise<Docker.ContainerInfo[]> =>
  docker.listContainers({ all: true, filters: { label: [`sluice.io/flow-run-id=${flowRunId}`] } });

await serviceSuite(["docker"], "end to end: server + Docker agent + Docker storage", () => {
  let home: string;
  let url = "http://127.0.0.1:1";
  let server: SluiceProcess;
  let agent: SluiceProcess;
  let client: SluiceClient;
  let image: string;
  const env = (): Record<string, string> => ({
    SLUICE__HOME: home,
    SLUICE__API__URL: url,
    SLUICE__DOCKER__HOST: `unix://${services.dockerSocket}`,
    SLUICE__REPORTER__HEARTBEAT_INTERVAL_MS: "1000",
    SLUICE__REPORTER__CANCEL_CHECK_INTERVAL_MS: "500",
    SLUICE__LOGGING__BATCH_INTERVAL_MS: "100",
    SLUICE__AGENT__MIN_POLL_INTERVAL_MS: "50",
    SLUICE__AGENT__MAX_POLL_INTERVAL_MS: "300",
  });
  const create = async (flowName: string, ...params: string[]): Promise<string> => {
    const created = await runSluice(["flow-run", "create", flowName, ...params.flatMap((p) => ["--param", p]), "--json"], env());
    assert.equal(created.code, 0, created.stderr);
    return json<FlowRun>(created).id;
  };

  before(
    async () => {
      home = await mkdtemp(join(tmpdir(), "sluice-e2e-docker-"));
      server = startSluice(["server", "start", "--port", "0", "--json"], env(), 20 * 60_000);
      url = (await server.waitFor(/"url": "(http:\/\/127\.0\.0\.1:\d+)"/))[1]!;
      client = createClient({ url });
      const registered = await runSluice(["register", FLOWS, "--json"], env(), 15 * 60_000);
      assert.equal(registered.code, 0, registered.stderr.slice(-3000));
      const flows = json<{ flows: { name: string; image: string | null; labels: string[] }[] }>(registered).flows;
      assert.equal(flows.length, 2);
      image = flows[0]!.image!;
      assert.match(image, /^sluice-e2e-docker-agent:/);
      assert.ok(flows.every((f) => f.image === image && f.labels.join() === "docker-e2e"));
      const flow = (await client.listFlows({ name: "docker-agent-squares" })).items[0]!;
      assert.equal(flow.environment.metadata.image, image, "registration set metadata.image from the Docker storage");
      agent = startSluice(["agent", "start", "docker", "--name", "e2e-docker", "--label", "docker-e2e"], env(), 20 * 60_000);
      await agent.waitFor(/Agent e2e-docker \(docker, labels: docker-e2e\) polls/);
    },
    { timeout: 15 * 60_000 },
  );
  after(async () => {
    await agent?.stop();
    await server?.stop();
    await killAll();
    for (const c of await docker.listContainers({ all: true, filters: { label: ["sluice.io/agent=e2e-docker"] } }))
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined);
    if (image)
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(() => undefined);
    await rm(home, { recursive: true, force: true });
  });

  it("runs a Docker-storage flow in a container to Success; states and logs reach the server; the container is removed", { timeout: 180_000 }, async () => {
    const id = await create("docker-agent-squares", "xs=[1,2,3,4]");
    const watched = await runSluice(["flow-run", "watch", id, "--interval", "250", "--json"], env(), 150_000);
    const { flowRun, taskRuns } = json<{ flowRun: FlowRun; taskRuns: TaskRun[] }>(watched);
    assert.equal(flowRun.state.name, "Success", `${flowRun.state.message}\n${watched.stderr.slice(-2000)}`);
    assert.equal(watched.code, 0);
    assert.equal(taskRuns.length, 1 + 1 + 4 + 1);
    assert.equal(taskRuns.find((t) => t.taskKey === "sum")!.state.result, 20);
    assert.deepEqual(taskRuns.find((t) => t.taskKey === "where")!.state.result, { image, runId: id }, "the run contract reached the container");
    const messages = (await client.readLogs(id)).items.map((l) => l.message);
    for (const expected of [
      new RegExp(`^Deployed by agent e2e-docker \\(docker\\): started container [0-9a-f]{12} from ${image.replace(/[.]/g, "\\.")}$`),
      /loaded flow "docker-agent-squares" from its DockerStorage/,
      /^running in a container$/,
      /^summed$/,
    ]) {
      assert.ok(
        messages.some((m) => expected.test(m)),
        `a log line matching ${expected} in:\n${messages.join("\n")}`,
      );
    }
    await waitFor("the container to be removed", async () => ((await containersOf(id)).length === 0 ? true : undefined), 30_000);
  });

  it("a killed container fails its run with the exit code", { timeout: 180_000 }, async () => {
    const id = await create("docker-agent-slow", "ms=120000");
    await waitForRun(client, id, ["Running"], 120_000);
    const [container] = await waitFor("the run's container", async () => ((await containersOf(id)).length > 0 ? containersOf(id) : undefined));
    assert.equal(container!.Labels["sluice.io/agent"], "e2e-docker");
    await docker.getContainer(container!.Id).kill({ signal: "SIGKILL" });
    const failed = await waitForRun(client, id, undefined, 30_000);
    assert.equal(failed.state.name, "Failed");
    assert.match(failed.state.message!, new RegExp(`^The flow-run container ${container!.Id.slice(0, 12)} exited with code 137 before the run finished`));
    await waitFor("the container to be removed", async () => ((await containersOf(id)).length === 0 ? true : undefined), 30_000);
  });

  it("a flow whose image cannot be pulled fails with the engine's message and an ERROR log line", { timeout: 120_000 }, async () => {
    const registered = await client.registerFlow({
      name: "docker-agent-missing-image",
      environment: { type: "LocalEnvironment", version: "0.1.0", labels: ["docker-e2e"], metadata: { image: "127.0.0.1:1/sluice-no-such-image:none" } },
      storage: { type: "DockerStorage", version: "0.1.0", flows: { "docker-agent-missing-image": "/opt/sluice/flows/x.mjs" } },
    });
    const run = await client.createFlowRun({ flowId: registered.flowId });
    const failed = await waitForRun(client, run.id, undefined, 60_000);
    assert.equal(failed.state.name, "Failed");
    assert.match(failed.state.message!, /with agent e2e-docker \(docker\) failed: pulling image 127\.0\.0\.1:1\/sluice-no-such-image:none failed: /);
    const errors = (await client.readLogs(run.id, { level: "error" })).items;
    assert.equal(errors[0]?.message, failed.state.message);
  });
});
