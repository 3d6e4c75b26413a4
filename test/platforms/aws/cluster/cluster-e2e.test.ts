/**
 * CloudClusterEnvironment end to end against the ECS stand-in, with real containers: the broker task
 * (redis-server with TLS, from the flow's image) and the `sluice worker` tasks run in Docker; the flow
 * runs in this process with the distributed executor. Each run ends with no task of the run left
 * running, whatever way it ended; the broker refuses connections without TLS or without the password.
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { configSchema, type SluiceConfig } from "../../../../src/config/schema.js";
import type { ExecuteResult } from "../../../../src/core/environment.js";
import { CloudClusterEnvironment } from "../../../../src/platforms/aws/cluster/index.js";
import { FLOW_RUN_ID_TAG } from "../../../../src/platforms/aws/names.js";
import { ecsSuite, startEcsStandin, type EcsStandin } from "../../../support/ecs/index.js";
import { PrivateRedis } from "../../../support/distributed-redis-server.js";
import { removeImage, services } from "../../../support/services.js";
import { adaptive, mapped, storage } from "./fixtures/cluster-flows.js";
import { freePort } from "./fixtures/redis-files.js";

/** The failed task runs of a result, with their messages, for assertion messages. */
const failures = (result: ExecuteResult): string =>
  result.kind === "finished"
    ? result.result.taskRuns
        .filter((t) => t.state.name !== "Success")
        .map((t) => `${t.taskKey}[${t.mapIndex ?? ""}] ${t.state.name}: ${t.state.message ?? ""}`)
        .join("\n")
    : "";

type Tag = { key: string; value: string };

const BROKER_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:cluster-e2e-broker";
const BROKER_PASSWORD = "cluster-e2e-broker-Pw-7c41d9";

/** Sends one command to a Redis on this machine and resolves with its answer. */
function redisCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => socket.write(`${command}\r\n`));
    socket.once("data", (chunk: Buffer) => {
      socket.end();
      const answer = chunk.toString("utf8").trim();
      if (answer.startsWith("-")) reject(new Error(`redis ${command.split(" ")[0]}: ${answer}`));
      else resolve(answer);
    });
    socket.once("error", reject);
  });
}

await ecsSuite(["docker", "registry"], "CloudClusterEnvironment on the ECS stand-in", () => {
  let standin: EcsStandin;
  let config: SluiceConfig;

  before(
    async () => {
      standin = await startEcsStandin({ timings: { stopTimeoutMs: 3000 }, secrets: { [BROKER_SECRET_ARN]: BROKER_PASSWORD } });
      for (const f of [mapped, adaptive]) storage.addFlow(f);
      await storage.build({ config: configSchema().parse({ docker: { baseImage: services.nodeImage } }) });
      config = configSchema().parse({
        api: { url: "http://127.0.0.1:9" },
        logging: { level: "info" },
        aws: {
          endpoint: standin.endpoint,
          regionName: standin.region,
          awsAccessKeyId: standin.credentials.accessKeyId,
          awsSecretAccessKey: standin.credentials.secretAccessKey,
        },
      });
    },
    { timeout: 900_000 },
  );
  after(async () => {
    await standin?.close();
    await removeImage(storage.image);
  });

  const tasksOf = (flowRunId: string) =>
    standin.tasks().filter((t) => (t.tags as Tag[] | undefined)?.some((x) => x.key === FLOW_RUN_ID_TAG && x.value === flowRunId));
  const roleOf = (t: Record<string, unknown>) => (t.tags as Tag[]).find((x) => x.key === "sluice.io/cluster-role")?.value;
  /** Within the next moments no task of the run is left running (StopTask was called on each; the stand-in stops them). */
  const noneLeft = (flowRunId: string) => standin.waitFor(() => tasksOf(flowRunId).every((t) => t.lastStatus === "STOPPED"), 60_000);

  it(
    "a mapped flow spreads over 2 worker tasks (size from onExecute), succeeds, and leaves no task; the broker refuses plain and password-less connections",
    { timeout: 300_000 },
    async () => {
      const flowRunId = `cc-ok-${process.pid}`;
      const brokerPort = await freePort();
      let probe: Promise<string[]> | undefined;
      const result = await (mapped.environment as CloudClusterEnvironment).execute(mapped, {
        flowRunId,
        config,
        parameters: { n: 50, workers: 2, brokerPort },
        logLevel: "silent",
        onClusterReady: () => {
          probe = refusals(brokerPort);
        },
      });
      assert.equal(result.kind, "finished");
      const run = result.kind === "finished" ? result.result : undefined;
      assert.equal(run?.state.name, "Success", failures(result));
      const value = run?.value as { sum: number; workers: string[] };
      assert.equal(value.sum, 42925, "the sum of the squares of 1..50");
      assert.ok(value.workers.length >= 2 && !value.workers.includes("none"), `tasks ran on ${value.workers.join(", ")}`);
      const tasks = tasksOf(flowRunId);
      assert.equal(tasks.filter((t) => roleOf(t) === "broker").length, 1);
      assert.equal(tasks.filter((t) => roleOf(t) === "worker").length, 2, "onExecute set 2 workers");
      await noneLeft(flowRunId);
      const refused = await probe!;
      assert.equal(refused.length, 2, refused.join("\n"));
      assert.match(refused[1]!, /NOAUTH|Authentication required/i, "TLS without the password is refused");
      const overrides = JSON.stringify(standin.received.filter((r) => r.operation === "RegisterTaskDefinition").map((r) => r.body));
      assert.ok(!overrides.includes("BEGIN PRIVATE KEY") && !overrides.includes("SLUICE__EXECUTOR__REDIS_PASSWORD"), "no secret in a task definition");
    },
  );

  it("a failed run and a cancelled run leave no task behind", { timeout: 300_000 }, async () => {
    const failedId = `cc-fail-${process.pid}`;
    const failed = await (mapped.environment as CloudClusterEnvironment).execute(mapped, {
      flowRunId: failedId,
      config,
      parameters: { n: 4, fail: true, brokerPort: await freePort() },
      logLevel: "silent",
    });
    assert.equal(failed.kind === "finished" && failed.result.state.name, "Failed");
    await noneLeft(failedId);

    const cancelledId = `cc-cancel-${process.pid}`;
    const controller = new AbortController();
    const cancelled = await (mapped.environment as CloudClusterEnvironment).execute(mapped, {
      flowRunId: cancelledId,
      config,
      parameters: { n: 400, brokerPort: await freePort() },
      logLevel: "silent",
      signal: controller.signal,
      onClusterReady: () => setTimeout(() => controller.abort(), 3000),
    });
    assert.equal(cancelled.kind === "finished" && cancelled.result.state.name, "Cancelled");
    await noneLeft(cancelledId);
  });

  it("a worker OOM-killed mid-run is reported and replaced, and the run still succeeds", { timeout: 300_000 }, async () => {
    const flowRunId = `cc-oom-${process.pid}`;
    let killed: Promise<string> | undefined;
    const result = await (mapped.environment as CloudClusterEnvironment).execute(mapped, {
      flowRunId,
      config,
      parameters: { n: 60, brokerPort: await freePort() },
      logLevel: "silent",
      onClusterReady: () => {
        killed = (async () => {
          const victim = await standin.waitFor(() => tasksOf(flowRunId).find((t) => roleOf(t) === "worker" && t.lastStatus === "RUNNING"), 60_000);
          await new Promise((resolve) => setTimeout(resolve, 2000));
          await standin.faults.oomKill(victim.taskArn as string);
          return victim.taskArn as string;
        })();
      },
    });
    assert.equal(result.kind === "finished" && result.result.state.name, "Success", failures(result));
    const victim = await killed!;
    const workers = tasksOf(flowRunId).filter((t) => roleOf(t) === "worker");
    assert.equal(workers.length, 3, "2 workers and 1 replacement");
    assert.match(JSON.stringify(standin.task(victim)?.containers), /OutOfMemoryError/);
    await noneLeft(flowRunId);
  });

  it(
    "an existing broker whose password the workers take from an ECS secret: the run succeeds and the password is in no request",
    { timeout: 300_000 },
    async () => {
      const redis = await PrivateRedis.start();
      try {
        await redisCommand(redis.port, `CONFIG SET requirepass ${BROKER_PASSWORD}`);
        const flowRunId = `cc-secret-${process.pid}`;
        const environment = new CloudClusterEnvironment({
          workers: 2,
          workerConcurrency: 2,
          broker: redis.url,
          executionRoleArn: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
          containerDefinitions: [{ secrets: [{ name: "SLUICE__EXECUTOR__REDIS_PASSWORD", valueFrom: BROKER_SECRET_ARN }] }],
          networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-cluster-e2e"] } },
          pollIntervalMs: 200,
          scaleIntervalMs: 300,
        });
        // The scheduler has the password where its own process would take it from the same secret.
        const schedulerConfig = { ...config, executor: { ...config.executor, redisPassword: BROKER_PASSWORD } };
        const result = await environment.execute(mapped, { flowRunId, config: schedulerConfig, parameters: { n: 8 }, logLevel: "silent" });
        assert.equal(result.kind === "finished" && result.result.state.name, "Success", failures(result));
        const value = (result.kind === "finished" ? result.result.value : undefined) as { workers: string[] };
        assert.ok(!value.workers.includes("none"), "the squares ran on the worker tasks, which authenticated with the secret's value");
        assert.ok(!JSON.stringify(standin.received.map((r) => r.body)).includes(BROKER_PASSWORD), "the password is in no request to ECS");
        const runTasks = standin.received.filter((r) => r.operation === "RunTask" && JSON.stringify(r.body).includes(flowRunId));
        assert.equal(runTasks.length, 2, "two worker tasks, no broker task");
        assert.match(JSON.stringify(runTasks[0]!.body), /SLUICE__EXECUTOR__REDIS_URL/, "the workers get the broker's URL, not its password");
        assert.match(
          JSON.stringify(standin.received.filter((r) => r.operation === "RegisterTaskDefinition").map((r) => r.body)),
          new RegExp(BROKER_SECRET_ARN),
          "the definition names the secret",
        );
        await noneLeft(flowRunId);
      } finally {
        await redis.stop();
      }
    },
  );

  it("adaptive: 1 worker, up to 3 while 12 tasks wait, back to 1 for the last long task", { timeout: 300_000 }, async () => {
    const flowRunId = `cc-adapt-${process.pid}`;
    let sizes: readonly number[] = [];
    const result = await (adaptive.environment as CloudClusterEnvironment).execute(adaptive, {
      flowRunId,
      config,
      parameters: { n: 12, brokerPort: await freePort() },
      logLevel: "silent",
      onClusterReady: (cluster) => (sizes = cluster.sizes),
    });
    assert.equal(result.kind === "finished" && result.result.state.name, "Success", failures(result));
    assert.equal(sizes[0], 1, `sizes ${sizes.join(" → ")}`);
    assert.ok(sizes.includes(3), `reached 3: ${sizes.join(" → ")}`);
    assert.equal(sizes.at(-1), 1, `back to 1: ${sizes.join(" → ")}`);
    await noneLeft(flowRunId);
  });
});

/** What the broker answers PING with over a plain connection, then over TLS (trusting any certificate) without the password. */
async function refusals(port: number): Promise<string[]> {
  const ask = (socket: Socket): Promise<string> =>
    new Promise((resolve) => {
      let answer = "";
      const done = () => resolve(answer.trim() || "(closed without an answer)");
      socket.setTimeout(5000, () => socket.destroy());
      socket.on("data", (chunk: Buffer) => {
        answer += chunk.toString("utf8");
        socket.end();
      });
      socket.on("error", (error) => (answer ||= error.message));
      socket.on("close", done);
    });
  const plain = connect({ host: "127.0.0.1", port }, function (this: Socket) {
    this.write("PING\r\n");
  });
  const secure = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false }, function (this: Socket) {
    this.write("PING\r\n");
  });
  return Promise.all([ask(plain), ask(secure)]);
}
