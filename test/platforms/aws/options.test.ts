import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { SluiceError } from "../../../src/core/errors.js";
import { resolveAwsAccess, RedactedCredentials } from "../../../src/platforms/aws/credentials.js";
import { RUN_TASK_KEYS, TASK_DEFINITION_KEYS, splitFargateOptions } from "../../../src/platforms/aws/options.js";

const net = { awsvpcConfiguration: { subnets: ["subnet-1"], securityGroups: ["sg-1"], assignPublicIp: "ENABLED" } };

function error(fn: () => unknown): SluiceError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof SluiceError, String(e));
    return e;
  }
  assert.fail("expected an error");
}

describe("FargateTaskEnvironment options", () => {
  it("splits the AWS options into RegisterTaskDefinition and RunTask keys; tags and placementConstraints go to both", () => {
    const tags = [{ key: "team", value: "data" }];
    const placementConstraints = [{ type: "memberOf" as const, expression: "attribute:ecs.os-type == linux" }];
    const raw = {
      family: "etl",
      cpu: 512,
      memory: "1GB",
      executionRoleArn: "arn:aws:iam::1:role/exec",
      cluster: "prod",
      networkConfiguration: net,
      startedBy: "me",
      tags,
      placementConstraints,
      launchType: "EC2",
      regionName: "eu-west-1",
    };
    const frozen = structuredClone(raw);
    const split = splitFargateOptions(raw);
    assert.deepEqual(raw, frozen, "the input is not mutated");
    assert.deepEqual(Object.keys(split.taskDefinition).sort(), ["cpu", "executionRoleArn", "family", "memory", "placementConstraints", "tags"]);
    assert.deepEqual(Object.keys(split.runTask).sort(), ["cluster", "networkConfiguration", "placementConstraints", "startedBy", "tags"]);
    assert.equal(split.taskDefinition.cpu, "512", "numbers become the strings AWS takes");
    assert.deepEqual(split.taskDefinition.tags, tags);
    assert.deepEqual(split.runTask.tags, tags);
    assert.notEqual(split.runTask.tags, raw.tags, "copies, not the user's objects");
    assert.deepEqual(split.environment, { launchType: "EC2", regionName: "eu-west-1" });
    for (const key of ["tags", "placementConstraints"]) {
      assert.ok((TASK_DEFINITION_KEYS as readonly string[]).includes(key) && (RUN_TASK_KEYS as readonly string[]).includes(key));
    }
  });

  it("defaults launchType to FARGATE", () => {
    assert.equal(splitFargateOptions({}).environment.launchType, "FARGATE");
  });

  it("an unknown key is an error naming it, a guess, and the allowed keys", () => {
    const e = error(() => splitFargateOptions({ famly: "x" }));
    assert.equal(e.code, "INVALID_OPTION");
    assert.equal(e.field, "famly");
    assert.match(e.message, /unknown option "famly" \(did you mean "family"\?\)/);
    assert.match(e.message, /task definition: family, taskRoleArn, .*RunTask: cluster, taskDefinition/);
  });

  it("every value is validated with its field named", () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ cpu: "lots" }, "cpu", /CPU units/],
      [{ networkMode: "overlay" }, "networkMode", /networkMode/],
      [{ count: 3 }, "count", /exactly one task/],
      [{ tags: [{ key: "a{b}", value: "x" }] }, "tags.0.key", /tag keys/],
      [{ networkConfiguration: { awsvpcConfiguration: { subnets: [] } } }, "networkConfiguration.awsvpcConfiguration.subnets", /at least one subnet/],
      [{ containerDefinitions: [{ name: "flow-container", memory: "512" }] }, "containerDefinitions.0.memory", /memory/],
      [{ containerDefinitions: [{ environment: [{ name: "1BAD", value: "x" }] }] }, "containerDefinitions.0.environment.0.name", /letters, digits/],
      [{ containerDefinitions: [{ imag: "x" }] }, "containerDefinitions.0", /imag/],
      [{ launchType: "LAMBDA" }, "launchType", /FARGATE/],
      [{ regionName: "mars" }, "regionName", /us-east-1/],
    ];
    for (const [raw, field, message] of cases) {
      const e = error(() => splitFargateOptions(raw));
      assert.equal(e.field, field, `${JSON.stringify(raw)} → ${e.message}`);
      assert.match(e.message, message);
      assert.match(e.message, new RegExp(`option ${field.replace(/\./g, "\\.")}`));
    }
  });

  it("Fargate rules: awsvpc only, FARGATE compatibility, and the first container is flow-container", () => {
    assert.equal(error(() => splitFargateOptions({ networkMode: "bridge" })).field, "networkMode");
    assert.equal(error(() => splitFargateOptions({ requiresCompatibilities: ["EC2"] })).field, "requiresCompatibilities");
    assert.equal(splitFargateOptions({ launchType: "EC2", networkMode: "bridge" }).taskDefinition.networkMode, "bridge");
    assert.equal(error(() => splitFargateOptions({ containerDefinitions: [{ name: "app" }] })).field, "containerDefinitions.0.name");
  });

  it("never shows a credential in an error", () => {
    const e = error(() => splitFargateOptions({ awsAccessKeyId: "short", awsSecretAccessKey: "s3cr3t" }));
    assert.equal(e.field, "awsAccessKeyId");
    assert.ok(!e.message.includes("short"));
    assert.ok(!JSON.stringify({ ...e, message: e.message }).includes("short"));
  });
});

describe("AWS credentials resolution", () => {
  it("options first, then the configuration, then the SDK's default chain; region independently", () => {
    const fromOptions = resolveAwsAccess(
      { awsAccessKeyId: "AKIAOPTIONS0000000", awsSecretAccessKey: "opt-secret" },
      { awsAccessKeyId: "AKIACONFIG00000000", awsSecretAccessKey: "cfg", regionName: "eu-west-1" },
    );
    assert.equal(fromOptions.source, "options");
    assert.equal(fromOptions.credentials!.identity().accessKeyId, "AKIAOPTIONS0000000");
    assert.equal(fromOptions.region, "eu-west-1");
    const fromConfig = resolveAwsAccess(
      { regionName: "us-west-2" },
      { awsAccessKeyId: "AKIACONFIG00000000", awsSecretAccessKey: "cfg", awsSessionToken: "tok" },
    );
    assert.equal(fromConfig.source, "config");
    assert.deepEqual(fromConfig.credentials!.identity(), { accessKeyId: "AKIACONFIG00000000", secretAccessKey: "cfg", sessionToken: "tok" });
    assert.equal(fromConfig.region, "us-west-2");
    const chain = resolveAwsAccess({}, {});
    assert.equal(chain.source, "default-chain");
    assert.equal(chain.credentials, undefined);
    assert.equal(chain.region, undefined);
  });

  it("half a pair is an error naming the missing half", () => {
    assert.equal(error(() => resolveAwsAccess({ awsAccessKeyId: "AKIAOPTIONS0000000" })).field, "awsSecretAccessKey");
    assert.equal(error(() => resolveAwsAccess({}, { awsSessionToken: "t" })).field, "awsSessionToken");
  });

  it("the credentials never print, serialize or inspect", () => {
    const held = new RedactedCredentials({ accessKeyId: "AKIAHIDDEN00000000", secretAccessKey: "very-secret", sessionToken: "tok-secret" });
    const texts = [JSON.stringify({ held }), String(held), inspect(held), inspect({ nested: { held } }, { depth: 5 }), `${held}`];
    for (const text of texts) {
      assert.ok(!/very-secret|tok-secret|AKIAHIDDEN/.test(text), text);
    }
  });
});
