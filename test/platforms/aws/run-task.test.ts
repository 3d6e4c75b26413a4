import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type SluiceError } from "../../../src/core/errors.js";
import { provisioningTimeout, runTaskFailure, stoppedTaskFailure } from "../../../src/platforms/aws/failures.js";
import { splitFargateOptions } from "../../../src/platforms/aws/options.js";
import { buildRunTaskInput } from "../../../src/platforms/aws/run-task.js";

const net = { awsvpcConfiguration: { subnets: ["subnet-1"], assignPublicIp: "ENABLED" as const } };

describe("RunTask input", () => {
  it("overrides the flow container with the run's variables, tags the run id, names startedBy and the launch type", () => {
    const raw = {
      cluster: "prod",
      networkConfiguration: net,
      tags: [
        { key: "team", value: "data" },
        { key: "sluice.io/flow-run-id", value: "spoofed" },
      ],
      platformVersion: "1.4.0",
    };
    const frozen = structuredClone(raw);
    const { runTask } = splitFargateOptions(raw);
    const input = buildRunTaskInput({
      options: runTask,
      taskDefinition: "arn:aws:ecs:us-east-1:1:task-definition/sluice-etl-abc:1",
      networkMode: "awsvpc",
      launchType: "FARGATE",
      flowRunId: "run-42",
      runEnv: { SLUICE__CONTEXT__FLOW_RUN_ID: "run-42", SLUICE__API__KEY: "key" },
    });
    assert.deepEqual(raw, frozen);
    assert.deepEqual(input, {
      cluster: "prod",
      taskDefinition: "arn:aws:ecs:us-east-1:1:task-definition/sluice-etl-abc:1",
      launchType: "FARGATE",
      count: 1,
      startedBy: "sluice",
      tags: [
        { key: "team", value: "data" },
        { key: "sluice.io/flow-run-id", value: "run-42" },
      ],
      overrides: {
        containerOverrides: [
          {
            name: "flow-container",
            environment: [
              { name: "SLUICE__CONTEXT__FLOW_RUN_ID", value: "run-42" },
              { name: "SLUICE__API__KEY", value: "key" },
            ],
          },
        ],
      },
      platformVersion: "1.4.0",
      networkConfiguration: net,
    });
  });

  it("awsvpc without a network configuration, or a configuration without awsvpc, is an error naming networkConfiguration", () => {
    const base = { taskDefinition: "f:1", launchType: "FARGATE" as const, flowRunId: "r", runEnv: {} };
    assert.throws(
      () => buildRunTaskInput({ ...base, options: {}, networkMode: "awsvpc" }),
      (e: SluiceError) => e.field === "networkConfiguration" && /subnets/.test(e.message),
    );
    assert.throws(
      () => buildRunTaskInput({ ...base, options: { networkConfiguration: net }, networkMode: "bridge", launchType: "EC2" }),
      (e: SluiceError) => e.field === "networkConfiguration",
    );
  });
});

describe("failure taxonomy", () => {
  const arn = "arn:aws:ecs:us-east-1:1:task/default/abc123";
  it("a task whose essential containers exited 0 did not fail", () => {
    assert.equal(
      stoppedTaskFailure({
        taskArn: arn,
        stopCode: "EssentialContainerExited",
        stoppedReason: "Essential container in task exited",
        containers: [{ name: "flow-container", exitCode: 0 }],
      }),
      undefined,
    );
  });

  it("maps ECS's stop codes, reasons and exit codes", () => {
    const cases: [Parameters<typeof stoppedTaskFailure>[0], string, RegExp][] = [
      [
        {
          taskArn: arn,
          stopCode: "TaskFailedToStart",
          stoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s): not found",
          containers: [{ name: "flow-container", reason: "CannotPullContainerError: pull image manifest has been retried 5 time(s): not found" }],
        },
        "ImagePull",
        /could not pull the image of container flow-container: CannotPullContainerError/,
      ],
      [
        {
          taskArn: arn,
          stopCode: "EssentialContainerExited",
          stoppedReason: "Essential container in task exited",
          containers: [{ name: "flow-container", exitCode: 137, reason: "OutOfMemoryError: Container killed due to memory usage" }],
        },
        "OOMKilled",
        /flow-container .* ran out of memory .*exit code 137/,
      ],
      [
        { taskArn: arn, stopCode: "TaskFailedToStart", stoppedReason: "ResourceInitializationError: unable to pull secrets" },
        "FailedToStart",
        /failed to start: ResourceInitializationError/,
      ],
      [
        {
          taskArn: arn,
          stopCode: "EssentialContainerExited",
          stoppedReason: "Essential container in task exited",
          containers: [{ name: "flow-container", exitCode: 1 }],
        },
        "EssentialContainerExited",
        /flow-container exited with code 1/,
      ],
      [
        {
          taskArn: arn,
          stopCode: "UserInitiated",
          stoppedReason: "Sluice: the flow run was cancelled",
          containers: [{ name: "flow-container", exitCode: 143 }],
        },
        "StoppedByUser",
        /was stopped: Sluice: the flow run was cancelled/,
      ],
      [{ taskArn: arn, stopCode: "SpotInterruption", stoppedReason: "Your Spot Task was interrupted." }, "Capacity", /SpotInterruption/],
    ];
    for (const [task, reason, message] of cases) {
      const f = stoppedTaskFailure(task);
      assert.equal(f?.reason, reason, JSON.stringify(task));
      assert.match(f!.message, message);
      assert.match(f!.message, /abc123/);
      assert.ok(f!.hint.length > 20);
    }
  });

  it("only essential containers decide", () => {
    const task = {
      taskArn: arn,
      stopCode: "EssentialContainerExited",
      containers: [
        { name: "flow-container", exitCode: 0 },
        { name: "sidecar", exitCode: 2 },
      ],
    };
    assert.equal(stoppedTaskFailure(task, new Set(["flow-container"])), undefined);
    assert.equal(stoppedTaskFailure(task)?.reason, "EssentialContainerExited");
  });

  it("RunTask failures: capacity, or failed to start, with each arn and reason", () => {
    assert.equal(runTaskFailure([]), undefined);
    const cap = runTaskFailure([{ arn: "arn:aws:ecs:us-east-1:1:container-instance/x", reason: "RESOURCE:MEMORY" }]);
    assert.equal(cap?.reason, "Capacity");
    assert.match(cap!.message, /container-instance\/x: RESOURCE:MEMORY/);
    assert.equal(
      runTaskFailure([{ reason: "Capacity is unavailable at this time. Please try again later or in a different availability zone" }])?.reason,
      "Capacity",
    );
    assert.equal(runTaskFailure([{ arn: "a", reason: "MISSING" }])?.reason, "FailedToStart");
    assert.equal(provisioningTimeout(arn, "PROVISIONING", 90_000).reason, "ProvisioningTimeout");
    assert.match(provisioningTimeout(arn, "PROVISIONING", 90_000).message, /still PROVISIONING after 90 s/);
  });
});
