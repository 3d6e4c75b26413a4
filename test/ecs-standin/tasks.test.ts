/**
 * The ECS stand-in really runs tasks: containers of the task definition's image under Docker, with the
 * definition's command, environment and overrides, memory limits enforced, logs served by GetLogEvents
 * with awslogs naming, and the lifecycle, stop codes, reasons and exit codes ECS reports.
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { CloudWatchLogsClient, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ContainerDefinition,
} from "@aws-sdk/client-ecs";
import { services } from "../support/services.js";
import { ecsSuite, startEcsStandin, type EcsStandin } from "../support/ecs/index.js";

const image = services.nodeImage;
const network = { awsvpcConfiguration: { subnets: ["subnet-0123456789abcdef0"], assignPublicIp: "DISABLED" as const } };

await ecsSuite(["docker"], "ECS stand-in: tasks run as Docker containers", () => {
  let standin: EcsStandin;
  let ecs: ECSClient;
  let logs: CloudWatchLogsClient;
  let family = 0;

  async function register(container: Partial<ContainerDefinition>, task: { memory?: string } = {}): Promise<string> {
    const name = `ecs-standin-tasks-${++family}`;
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: name,
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: "256",
        memory: task.memory ?? "512",
        executionRoleArn: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
        containerDefinitions: [
          {
            name: "flow-container",
            image,
            logConfiguration: {
              logDriver: "awslogs",
              options: { "awslogs-group": "/ecs/standin-tasks", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "sluice" },
            },
            ...container,
          },
        ],
      }),
    );
    return name;
  }

  async function run(taskDefinition: string, extra: Record<string, unknown> = {}): Promise<string> {
    const out = await ecs.send(new RunTaskCommand({ cluster: "default", taskDefinition, launchType: "FARGATE", networkConfiguration: network, ...extra }));
    assert.deepEqual(out.failures, []);
    assert.equal(out.tasks![0]!.lastStatus, "PROVISIONING");
    return out.tasks![0]!.taskArn!;
  }

  const describe1 = async (arn: string) => (await ecs.send(new DescribeTasksCommand({ cluster: "default", tasks: [arn], include: ["TAGS"] }))).tasks![0]!;

  before(async () => {
    standin = await startEcsStandin({ logGroups: ["/ecs/standin-tasks"] });
    ecs = new ECSClient({ ...standin.clientConfig, maxAttempts: 1 });
    logs = new CloudWatchLogsClient({ ...standin.clientConfig, maxAttempts: 1 });
  });
  after(async () => {
    ecs.destroy();
    logs.destroy();
    await standin.close();
  });

  it("runs a container with the definition's command and environment plus overrides; its logs come back through GetLogEvents", async () => {
    const def = await register({
      entryPoint: ["node", "-e"],
      command: ["console.log('from-definition', process.env.A, process.env.B)"],
      environment: [
        { name: "A", value: "def-a" },
        { name: "B", value: "def-b" },
      ],
    });
    const seen = new Set<string>();
    const arn = await run(def, {
      overrides: {
        containerOverrides: [
          {
            name: "flow-container",
            command: ["console.log('hello', process.env.A, process.env.B, process.env.C); console.error('to-stderr')"],
            environment: [
              { name: "B", value: "override-b" },
              { name: "C", value: "c" },
            ],
          },
        ],
      },
      tags: [{ key: "sluice.io/flow-run-id", value: "run-1" }],
      startedBy: "sluice-agent",
    });
    assert.match(arn, /^arn:aws:ecs:us-east-1:123456789012:task\/default\/[0-9a-f]{32}$/);
    const watcher = setInterval(() => {
      const t = standin.task(arn);
      if (t) seen.add(t.lastStatus as string);
    }, 5);
    const stopped = await standin.stopped(arn);
    clearInterval(watcher);
    assert.ok(seen.has("PENDING") && seen.has("RUNNING") && seen.has("DEPROVISIONING"), `statuses seen: ${[...seen].join(", ")}`);
    const task = await describe1(arn);
    assert.equal(task.lastStatus, "STOPPED");
    assert.equal(task.stopCode, "EssentialContainerExited");
    assert.equal(task.stoppedReason, "Essential container in task exited");
    assert.equal(task.containers![0]!.exitCode, 0);
    assert.deepEqual(task.tags, [{ key: "sluice.io/flow-run-id", value: "run-1" }]);
    assert.equal(task.startedBy, "sluice-agent");
    assert.ok(task.startedAt instanceof Date && task.stoppedAt instanceof Date);
    assert.equal(stopped.lastStatus, "STOPPED");
    const id = arn.split("/").pop()!;
    const events = await logs.send(
      new GetLogEventsCommand({ logGroupName: "/ecs/standin-tasks", logStreamName: `sluice/flow-container/${id}`, startFromHead: true }),
    );
    const messages = events.events!.map((e) => e.message);
    assert.ok(messages.includes("hello def-a override-b c"), messages.join("\n"));
    assert.ok(messages.includes("to-stderr"));
    const listed = await ecs.send(new ListTasksCommand({ cluster: "default", startedBy: "sluice-agent", desiredStatus: "STOPPED" }));
    assert.ok(listed.taskArns!.includes(arn));
  });

  it("a container that ignores SIGTERM is killed after the definition's stopTimeout", async () => {
    const def = await register({ entryPoint: ["node", "-e"], command: ["setInterval(() => {}, 1000)"], stopTimeout: 2 });
    const arn = await run(def);
    await standin.waitFor(() => standin.task(arn)?.lastStatus === "RUNNING");
    const t0 = Date.now();
    await ecs.send(new StopTaskCommand({ cluster: "default", task: arn }));
    await standin.stopped(arn);
    assert.ok(Date.now() - t0 >= 1900, "SIGKILL only after the stop timeout");
    assert.equal((await describe1(arn)).containers![0]!.exitCode, 137);
  });

  it("a non-zero exit is EssentialContainerExited with the exit code", async () => {
    const def = await register({ entryPoint: ["node", "-e"], command: ["process.exit(3)"] });
    const arn = await run(def);
    await standin.stopped(arn);
    const task = await describe1(arn);
    assert.equal(task.stopCode, "EssentialContainerExited");
    assert.equal(task.containers![0]!.exitCode, 3);
  });

  it("enforces the memory limit: a container allocating past it is killed with OutOfMemoryError and exit 137", async () => {
    const def = await register({
      memory: 64,
      entryPoint: ["node", "-e"],
      command: ["const a = []; setInterval(() => { a.push(Buffer.alloc(16 * 1024 * 1024, 1)); }, 20);"],
    });
    const arn = await run(def);
    await standin.stopped(arn, 60_000);
    const task = await describe1(arn);
    assert.equal(task.containers![0]!.exitCode, 137);
    assert.equal(task.containers![0]!.reason, "OutOfMemoryError: Container killed due to memory usage");
    assert.equal(task.stopCode, "EssentialContainerExited");
  });

  it("an injected OOM kill of a running container looks the same", async () => {
    const def = await register({ entryPoint: ["node", "-e"], command: ["setInterval(() => {}, 1000)"] });
    const arn = await run(def);
    await standin.waitFor(() => standin.task(arn)?.lastStatus === "RUNNING");
    await standin.faults.oomKill(arn);
    await standin.stopped(arn);
    const task = await describe1(arn);
    assert.equal(task.containers![0]!.exitCode, 137);
    assert.match(task.containers![0]!.reason!, /^OutOfMemoryError/);
  });

  it("an image that cannot be pulled fails the task to start with CannotPullContainerError", async () => {
    const def = await register({ image: "127.0.0.1:5000/ecs-standin-no-such-image:1" });
    const arn = await run(def);
    await standin.stopped(arn);
    const task = await describe1(arn);
    assert.equal(task.stopCode, "TaskFailedToStart");
    assert.match(task.stoppedReason!, /^CannotPullContainerError: /);
    assert.match(task.containers![0]!.reason!, /^CannotPullContainerError: /);
    assert.equal(task.containers![0]!.exitCode, undefined);
    const restore = standin.faults.missingImage(image);
    const def2 = await register({ entryPoint: ["node", "-e"], command: ["0"] });
    const arn2 = await run(def2);
    await standin.stopped(arn2);
    restore();
    assert.match((await describe1(arn2)).stoppedReason!, /^CannotPullContainerError: .*not found/);
  });

  it("StopTask stops a running task: UserInitiated with the reason, through DEPROVISIONING", async () => {
    const def = await register({
      entryPoint: ["node", "-e"],
      command: ["process.on('SIGTERM', () => process.exit(143)); console.log('ready'); setInterval(() => {}, 1000)"],
    });
    const arn = await run(def);
    await standin.waitFor(() => standin.output(arn).includes("ready"));
    const seen = new Set<string>();
    const watcher = setInterval(() => {
      const t = standin.task(arn);
      if (t) seen.add(t.lastStatus as string);
    }, 5);
    const stopping = await ecs.send(new StopTaskCommand({ cluster: "default", task: arn, reason: "cancelled by Sluice" }));
    assert.equal(stopping.task!.desiredStatus, "STOPPED");
    await standin.stopped(arn);
    clearInterval(watcher);
    assert.ok(seen.has("DEPROVISIONING"), [...seen].join(", "));
    const task = await describe1(arn);
    assert.equal(task.stopCode, "UserInitiated");
    assert.equal(task.stoppedReason, "cancelled by Sluice");
    assert.equal(task.containers![0]!.exitCode, 143, "SIGTERM first (the container exits with 143 from its handler)");
  });

  it("faults: capacity failures in RunTask, a task stuck in PROVISIONING, throttled registration", async () => {
    const def = await register({ entryPoint: ["node", "-e"], command: ["0"] });
    standin.faults.capacity(1);
    const out = await ecs.send(new RunTaskCommand({ cluster: "default", taskDefinition: def, launchType: "FARGATE", networkConfiguration: network }));
    assert.deepEqual(out.tasks, []);
    assert.match(out.failures![0]!.reason!, /^Capacity is unavailable at this time/);
    standin.faults.stuckInProvisioning(1);
    const arn = await run(def);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await describe1(arn)).lastStatus, "PROVISIONING");
    await ecs.send(new StopTaskCommand({ cluster: "default", task: arn }));
    await standin.stopped(arn);
    const stuck = await describe1(arn);
    assert.equal(stuck.stopCode, "UserInitiated");
    assert.equal(stuck.stoppedReason, "Task stopped by user");
    standin.faults.throttleRegister(1);
    await assert.rejects(
      register({}),
      (e: Error) => e.name === "ThrottlingException" && /Too many concurrent attempts to create a new revision/.test(e.message),
    );
  });
});
