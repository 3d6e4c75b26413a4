/**
 * stopRunTasks against the ECS stand-in: the tasks of a run (found by startedBy and the run-id tag) are
 * stopped, another run's task is left alone, and a second call stops nothing. This is what the cluster's
 * teardown and the ECS agent (once a run's own task ended, e.g. a scheduler that was killed) rely on.
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { resolveAwsAccess } from "../../../../src/platforms/aws/credentials.js";
import { createEcsApi, type EcsApi } from "../../../../src/platforms/aws/ecs-client.js";
import { stopRunTasks } from "../../../../src/platforms/aws/cluster/run-tasks.js";
import { ecsSuite, startEcsStandin, type EcsStandin } from "../../../support/ecs/index.js";
import { services } from "../../../support/services.js";

await ecsSuite(["docker"], "stopRunTasks on the ECS stand-in", () => {
  let standin: EcsStandin;
  let api: EcsApi;
  before(async () => {
    standin = await startEcsStandin();
    const access = resolveAwsAccess(
      {},
      { awsAccessKeyId: standin.credentials.accessKeyId, awsSecretAccessKey: standin.credentials.secretAccessKey, regionName: standin.region },
    );
    api = await createEcsApi({ endpoint: standin.endpoint, region: access.region, credentials: access.credentials, maxAttempts: 1 });
  });
  after(async () => {
    api?.close();
    await standin?.close();
  });

  it("stops every running task tagged with the run, and only those", { timeout: 120_000 }, async () => {
    const definition = await api.registerTaskDefinition({
      family: "run-tasks-test",
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      cpu: "256",
      memory: "512",
      containerDefinitions: [{ name: "c", image: services.nodeImage, entryPoint: ["node", "-e", "setTimeout(() => {}, 600000)"] }],
    });
    const start = async (flowRunId: string) => {
      const out = await api.runTask({
        taskDefinition: definition.taskDefinitionArn,
        launchType: "FARGATE",
        startedBy: "sluice",
        networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-1"] } },
        tags: [{ key: "sluice.io/flow-run-id", value: flowRunId }],
      });
      return out.tasks[0]!.taskArn!;
    };
    const mine = [await start("run-a"), await start("run-a")];
    const other = await start("run-b");
    await standin.waitFor(() => [...mine, other].every((arn) => standin.task(arn)?.lastStatus === "RUNNING"), 60_000);
    const stopped = await stopRunTasks(api, undefined, "run-a", "sluice");
    assert.deepEqual([...stopped].sort(), [...mine].sort());
    for (const arn of mine) await standin.stopped(arn, 30_000);
    assert.equal(standin.task(other)?.lastStatus, "RUNNING", "another run's task is left alone");
    assert.deepEqual(await stopRunTasks(api, undefined, "run-a", "sluice"), []);
  });
});
