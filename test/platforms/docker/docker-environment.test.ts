/**
 * DockerEnvironment against a real Docker engine and registry: build an image for the example flows,
 * push it, remove it locally, pull it back and run flows in containers; kill and cancel runs mid-way.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import Docker from "dockerode";
import { DockerEnvironment, type AnyFlow, type RunEvent } from "sluice";
import { configSchema } from "../../../src/config/schema.js";
import { runEnvironmentConformance } from "../../../src/testing/environment-suite.js";
import { buildFlows } from "../../../src/deployment/prepare.js";
import { loadFlows } from "../../../src/core/load.js";
import { serviceSuite, services } from "../../support/services.js";
import { removeDir, scratchDir } from "../../storage/support.js";
import { writeDockerFixture } from "./docker-fixture.js";

const docker = new Docker({ socketPath: services.dockerSocket });
const config = configSchema().parse({ docker: { host: services.dockerSocket } });
const imageName = "sluice-test-docker-env";
const imageTag = `t-${randomUUID().slice(0, 8)}`;
const image = `${services.registry}/${imageName}:${imageTag}`;
let dir = "";
let flows: Record<string, AnyFlow> = {};

const containersOf = async (flowRunId: string): Promise<Docker.ContainerInfo[]> =>
  docker.listContainers({ all: true, filters: { label: [`sluice.io/flow-run-id=${flowRunId}`] } });

/** Runs `fn` once the run logged `message`. */
function onLog(message: string, fn: () => void): (event: RunEvent) => void {
  let done = false;
  return (event) => {
    if (!done && event.type === "log" && event.record.message === message) {
      done = true;
      fn();
    }
  };
}

await serviceSuite(["docker", "registry"], "DockerEnvironment (real engine)", () => {
  before(
    async () => {
      dir = scratchDir("docker-env");
      const fixture = writeDockerFixture(dir, imageName, imageTag);
      flows = Object.fromEntries((await loadFlows(fixture.module)).map((f) => [f.name, f]));
      const lines: string[] = [];
      await buildFlows(Object.values(flows), { config, push: true, output: { line: (l) => lines.push(l) } });
      assert.ok(
        lines.some((l) => /^Pushed /.test(l)),
        `the image was pushed:\n${lines.slice(-20).join("\n")}`,
      );
    },
    { timeout: 15 * 60_000 },
  );

  after(async () => {
    await docker
      .getImage(image)
      .remove({ force: true })
      .catch(() => undefined);
    removeDir(dir);
  });

  it("pulls the pushed image back after it was removed locally, and runs the flow in a container", { timeout: 180_000 }, async () => {
    await docker.getImage(image).remove({ force: true });
    await assert.rejects(docker.getImage(image).inspect(), "the image is gone locally");
    const events: RunEvent[] = [];
    const environment = new DockerEnvironment({ env: { SLUICE__LOGGING__LEVEL: "debug", MY_ENV: "foo" } });
    const flowRunId = randomUUID();
    const outcome = await environment.execute(flows["docker-story"]!, {
      parameters: { name: "docker" },
      flowRunId,
      config,
      observers: [(e) => events.push(e)],
    });
    assert.equal(outcome.kind, "finished");
    if (outcome.kind !== "finished") return;
    const { result } = outcome;
    assert.equal(result.state.name, "Success", result.state.message);
    assert.equal((await docker.getImage(image).inspect()).RepoTags?.includes(image), true, "pulled back from the registry");
    const value = result.value as { shouted: string; probe: Record<string, string> };
    assert.equal(value.shouted, "[HELLO, DOCKER]", "relative import bundled, npm dependency installed");
    assert.deepEqual(value.probe, {
      data: "data from the host",
      style: 'loud "and" $proud',
      runId: flowRunId,
      ctxRunId: flowRunId,
      image,
      filePath: (flows["docker-story"]!.storage as { locate(n: string): { module: string } }).locate("docker-story").module,
      useLocalSecrets: "false",
      level: "debug",
      myEnv: "foo",
    });
    assert.deepEqual(
      result.taskRuns.map((t) => [t.taskKey, t.state.name]),
      [
        ["hello", "Success"],
        ["shout", "Success"],
        ["probe", "Success"],
      ],
    );
    const states = events.filter((e) => e.type === "task-run-state" && e.taskKey === "hello").map((e) => (e.type === "task-run-state" ? e.state.name : ""));
    assert.deepEqual(states.slice(-2), ["Running", "Success"]);
    const logs = events.filter((e) => e.type === "log").map((e) => (e.type === "log" ? e.record : undefined));
    assert.ok(
      logs.some((r) => r?.message === "greeting docker" && r.taskName === "hello"),
      "task logs stream to the host",
    );
    assert.ok(
      logs.some((r) => r?.message === "plain stdout line" && r.fields?.stream === "stdout"),
      "plain output streams to the host",
    );
    assert.deepEqual(await containersOf(flowRunId), [], "the container was removed");
  });

  it("ends Failed naming the signal when the container is killed mid-run, and leaves nothing running", { timeout: 120_000 }, async () => {
    const flowRunId = randomUUID();
    const killed = onLog("sleeping", () => {
      void containersOf(flowRunId).then((list) => Promise.all(list.map((c) => docker.getContainer(c.Id).kill({ signal: "SIGKILL" }))));
    });
    const outcome = await new DockerEnvironment().execute(flows["docker-sleepy"]!, { flowRunId, config, observers: [killed] });
    assert.equal(outcome.kind, "finished");
    if (outcome.kind !== "finished") return;
    assert.equal(outcome.result.state.name, "Failed");
    assert.match(outcome.result.state.message ?? "", /killed by SIGKILL \(exit code 137\)/);
    assert.equal(outcome.result.taskRun("nap")?.state.name, "Failed", "the running task ends with the run");
    assert.deepEqual(await containersOf(flowRunId), []);
  });

  it("cancels a run: the container gets SIGINT and ends the run Cancelled itself, the container is removed", { timeout: 120_000 }, async () => {
    const flowRunId = randomUUID();
    const controller = new AbortController();
    const outcome = await new DockerEnvironment({ stopTimeoutMs: 30_000 }).execute(flows["docker-sleepy"]!, {
      flowRunId,
      config,
      signal: controller.signal,
      observers: [onLog("sleeping", () => controller.abort())],
    });
    assert.equal(outcome.kind, "finished");
    if (outcome.kind !== "finished") return;
    assert.equal(outcome.result.state.name, "Cancelled");
    // The run's own final state (its result line), not the host's "container was stopped" after a SIGKILL.
    assert.equal(outcome.result.state.message, "Flow run was cancelled");
    assert.equal(outcome.result.taskRun("nap")?.state.name, "Cancelled");
    assert.deepEqual(await containersOf(flowRunId), []);
  });

  it("a container stopped from outside (docker stop: SIGTERM) ends its run Failed, naming the signal", { timeout: 120_000 }, async () => {
    const flowRunId = randomUUID();
    const stopped = onLog("sleeping", () => {
      void containersOf(flowRunId).then((list) => Promise.all(list.map((c) => docker.getContainer(c.Id).stop({ t: 30 }))));
    });
    const outcome = await new DockerEnvironment().execute(flows["docker-sleepy"]!, { flowRunId, config, observers: [stopped] });
    assert.equal(outcome.kind, "finished");
    if (outcome.kind !== "finished") return;
    assert.equal(outcome.result.state.name, "Failed");
    assert.match(outcome.result.state.message ?? "", /^terminated by SIGTERM: the container\/pod was stopped from outside/);
    assert.equal(outcome.result.taskRun("nap")?.state.name, "Failed");
    assert.deepEqual(await containersOf(flowRunId), []);
  });

  it("reports a failed flow run with the task's error", { timeout: 120_000 }, async () => {
    const outcome = await new DockerEnvironment().execute(flows["docker-failing"]!, { config });
    assert.equal(outcome.kind === "finished" && outcome.result.state.name, "Failed");
    const error = outcome.kind === "finished" ? outcome.result.taskRun("broken")?.state.error : undefined;
    assert.match(error?.message ?? "", /broken on purpose in the container/);
  });

  it("fails before any container with a clear error when the flow has no image", async () => {
    const [flow] = Object.values(flows);
    const bare = { name: flow!.name, run: flow!.run.bind(flow) };
    await assert.rejects(new DockerEnvironment().execute(bare, { config }), /has no image; build its DockerStorage first/);
  });

  describe("conformance", () => {
    runEnvironmentConformance("docker", {
      type: "DockerEnvironment",
      create: (options) => new DockerEnvironment(options),
      execute: {
        get flow() {
          return flows["docker-story"]!;
        },
        parameters: { name: "conformance" },
        check: (value) => assert.equal((value as { shouted: string }).shouted, "[HELLO, CONFORMANCE]"),
        options: { config },
      },
      timeoutMs: 180_000,
    });
  });
});
