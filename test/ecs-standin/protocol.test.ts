/**
 * The ECS stand-in speaks the AWS JSON 1.1 protocol to the real SDK v3 clients and checks every request
 * body against botocore's official models: valid calls work, invalid bodies are refused with the error
 * type AWS uses, and the SDK surfaces that type as the error's name.
 */
import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { CloudWatchLogsClient, CreateLogGroupCommand, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type RegisterTaskDefinitionCommandInput,
} from "@aws-sdk/client-ecs";
import { ecsSuite, loadServiceModels, startEcsStandin, validateRequest, type EcsStandin } from "../support/ecs/index.js";

const fargateDefinition = (family: string): RegisterTaskDefinitionCommandInput => ({
  family,
  requiresCompatibilities: ["FARGATE"],
  networkMode: "awsvpc",
  cpu: "256",
  memory: "512",
  containerDefinitions: [{ name: "flow-container", image: "node20-local:base", environment: [{ name: "A", value: "1" }] }],
});

async function rejection(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  assert.fail("the call was expected to fail");
}

await ecsSuite([], "ECS stand-in: protocol and schema validation", () => {
  let standin: EcsStandin;
  let ecs: ECSClient;
  let logs: CloudWatchLogsClient;

  before(async () => {
    standin = await startEcsStandin();
    ecs = new ECSClient({ ...standin.clientConfig, maxAttempts: 1 });
    logs = new CloudWatchLogsClient({ ...standin.clientConfig, maxAttempts: 1 });
  });
  after(async () => {
    ecs.destroy();
    logs.destroy();
    await standin.close();
  });

  it("reads the models from botocore's installation, not from the repository", () => {
    assert.match(standin.modelFiles.ecs, /botocore\/data\/ecs\/2014-11-13\/service-2\.json/);
    assert.match(standin.modelFiles.logs, /botocore\/data\/logs\/2014-03-28\/service-2\.json/);
    assert.ok(!standin.modelFiles.ecs.includes("/work/wt/"));
  });

  it("registers, describes, lists and deregisters a task definition with what AWS fills in", async () => {
    const registered = await ecs.send(new RegisterTaskDefinitionCommand({ ...fargateDefinition("ecs-standin-proto"), tags: [{ key: "team", value: "data" }] }));
    const def = registered.taskDefinition!;
    assert.equal(def.revision, 1);
    assert.equal(def.status, "ACTIVE");
    assert.match(def.taskDefinitionArn!, /^arn:aws:ecs:us-east-1:\d{12}:task-definition\/ecs-standin-proto:1$/);
    assert.deepEqual(def.compatibilities, ["EC2", "FARGATE"]);
    assert.equal(def.containerDefinitions![0]!.essential, true);
    assert.ok(def.registeredAt instanceof Date);
    const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "ecs-standin-proto", include: ["TAGS"] }));
    assert.equal(described.taskDefinition!.taskDefinitionArn, def.taskDefinitionArn);
    assert.deepEqual(described.tags, [{ key: "team", value: "data" }]);
    const second = await ecs.send(new RegisterTaskDefinitionCommand(fargateDefinition("ecs-standin-proto")));
    assert.equal(second.taskDefinition!.revision, 2);
    const listed = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: "ecs-standin-proto" }));
    assert.equal(listed.taskDefinitionArns!.length, 2);
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: "ecs-standin-proto:2" }));
    const latest = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "ecs-standin-proto" }));
    assert.equal(latest.taskDefinition!.revision, 1, "a bare family names the latest ACTIVE revision");
  });

  it("refuses a body missing a required member with ValidationException, surfaced by the SDK", async () => {
    const e = await rejection(ecs.send(new RegisterTaskDefinitionCommand({ family: "x" } as RegisterTaskDefinitionCommandInput)));
    assert.equal(e.name, "ValidationException");
    assert.equal(e.$metadata?.httpStatusCode, 400);
    assert.match(e.message, /Value null at 'containerDefinitions' failed to satisfy constraint: Member must not be null/);
    assert.equal(standin.received.at(-1)!.errorType, "ValidationException");
  });

  it("refuses an enum value outside the model's set", async () => {
    const input = { ...fargateDefinition("ecs-standin-enum"), networkMode: "overlay" } as unknown as RegisterTaskDefinitionCommandInput;
    const e = await rejection(ecs.send(new RegisterTaskDefinitionCommand(input)));
    assert.equal(e.name, "ValidationException");
    assert.match(e.message, /at 'networkMode' failed to satisfy constraint: Member must satisfy enum value set: \[bridge, host, awsvpc, none\]/);
  });

  it("refuses a tag breaking the model's pattern and length, naming the path as AWS does", async () => {
    const input = { ...fargateDefinition("ecs-standin-tag"), tags: [{ key: "bad{key}", value: "x".repeat(300) }] };
    const e = await rejection(ecs.send(new RegisterTaskDefinitionCommand(input)));
    assert.equal(e.name, "ValidationException");
    assert.match(e.message, /^2 validation errors detected: /);
    assert.match(e.message, /at 'tags\.1\.member\.key' failed to satisfy constraint: Member must satisfy regular expression pattern/);
    assert.match(e.message, /at 'tags\.1\.member\.value' failed to satisfy constraint: Member must have length less than or equal to 256/);
  });

  it("refuses a value of the wrong type with SerializationException and an unknown member with ValidationException", async () => {
    const wrongType = {
      ...fargateDefinition("ecs-standin-type"),
      containerDefinitions: [{ name: "c", image: "i", memory: "512" }],
    } as unknown as RegisterTaskDefinitionCommandInput;
    const e1 = await rejection(ecs.send(new RegisterTaskDefinitionCommand(wrongType)));
    assert.equal(e1.name, "SerializationException");
    assert.match(e1.message, /Expected an integer at 'containerDefinitions\.1\.member\.memory'/);
    // The SDK drops members it does not know, so an unknown member is checked on the validator directly.
    const loaded = loadServiceModels();
    assert.ok("models" in loaded);
    const violations = validateRequest(loaded.models.ecs, "RunTask", { taskDefinition: "f", launchTyp: "FARGATE" });
    assert.equal(violations.length, 1);
    assert.equal(violations[0]!.type, "ValidationException");
    assert.match(violations[0]!.message, /Unknown member 'launchTyp'/);
  });

  it("answers the service's own rules with ClientException / InvalidParameterException / ClusterNotFoundException", async () => {
    const e1 = await rejection(ecs.send(new RegisterTaskDefinitionCommand({ ...fargateDefinition("ecs-standin-size"), memory: "4096" })));
    assert.equal(e1.name, "ClientException");
    assert.match(e1.message, /No Fargate configuration exists for given values: 256 CPU, 4096 memory/);
    const e2 = await rejection(ecs.send(new RegisterTaskDefinitionCommand({ ...fargateDefinition("ecs-standin-net"), networkMode: "bridge" })));
    assert.match(e2.message, /Fargate only supports network mode 'awsvpc'/);
    const e3 = await rejection(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: "ecs-standin-nothing" })));
    assert.equal(e3.name, "ClientException");
    await ecs.send(new RegisterTaskDefinitionCommand(fargateDefinition("ecs-standin-run")));
    const e4 = await rejection(ecs.send(new RunTaskCommand({ cluster: "default", taskDefinition: "ecs-standin-run", launchType: "FARGATE" })));
    assert.equal(e4.name, "InvalidParameterException");
    assert.match(e4.message, /Network Configuration must be provided/);
    const e5 = await rejection(ecs.send(new RunTaskCommand({ cluster: "nope", taskDefinition: "ecs-standin-run" })));
    assert.equal(e5.name, "ClusterNotFoundException");
  });

  it("checks the Logs model too, and answers a missing stream as the service does", async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: "/ecs/standin-proto" }));
    const e1 = await rejection(logs.send(new GetLogEventsCommand({ logGroupName: "/ecs/standin-proto", logStreamName: "a/b/c" })));
    assert.equal(e1.name, "ResourceNotFoundException");
    const e2 = await rejection(logs.send(new GetLogEventsCommand({ logGroupName: "/ecs/standin-proto", logStreamName: "a:b*" })));
    assert.equal(e2.name, "ValidationException");
    assert.match(e2.message, /logStreamName/);
  });

  it("refuses requests signed with an unknown key when keys are restricted", async () => {
    const strict = await startEcsStandin({ acceptedAccessKeyIds: ["AKIAONLYTHISONE00000"] });
    const client = new ECSClient({ ...strict.clientConfig, maxAttempts: 1 });
    try {
      const e = await rejection(client.send(new ListTaskDefinitionsCommand({})));
      assert.equal(e.name, "UnrecognizedClientException");
      assert.equal(strict.received[0]!.accessKeyId, strict.credentials.accessKeyId);
    } finally {
      client.destroy();
      await strict.close();
    }
  });
});
