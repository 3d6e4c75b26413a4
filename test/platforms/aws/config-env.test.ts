/**
 * Where the AWS platform's credentials and region come from: an environment's options, then
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN / REGION_NAME (read by the configuration
 * into config.aws unless SLUICE__AWS__* or the file set them), then the SDK's default chain.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { loadConfig } from "../../../src/config/index.js";
import { resolveAwsAccess } from "../../../src/platforms/aws/credentials.js";

const AWS_ENV = {
  AWS_ACCESS_KEY_ID: "AKIAFROMENV000000001",
  AWS_SECRET_ACCESS_KEY: "env-secret-1",
  AWS_SESSION_TOKEN: "env-token-1",
  REGION_NAME: "eu-west-3",
};

describe("AWS credentials from the environment", () => {
  it("maps AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and REGION_NAME into config.aws (also without any SLUICE__ variable)", () => {
    const home = mkdtempSync(join(tmpdir(), "sluice-aws-env-"));
    for (const extra of [{}, { SLUICE__LOGGING__LEVEL: "warn" }]) {
      const config = loadConfig({ env: { HOME: home, ...AWS_ENV, ...extra }, file: false });
      assert.deepEqual(config.aws, {
        awsAccessKeyId: "AKIAFROMENV000000001",
        awsSecretAccessKey: "env-secret-1",
        awsSessionToken: "env-token-1",
        regionName: "eu-west-3",
      });
    }
    assert.deepEqual(loadConfig({ env: { HOME: home }, file: false }).aws, {}, "nothing set: the SDK's default chain decides");
    assert.deepEqual(loadConfig({ env: { HOME: home, AWS_ACCESS_KEY_ID: "", REGION_NAME: "" }, file: false }).aws, {}, "empty variables are ignored");
  });

  it("SLUICE__AWS__* and the config file win, and credentials are never mixed from two places", () => {
    const home = mkdtempSync(join(tmpdir(), "sluice-aws-env-"));
    const config = loadConfig({
      env: { HOME: home, ...AWS_ENV, SLUICE__AWS__AWS_ACCESS_KEY_ID: "AKIASLUICE0000000001", SLUICE__AWS__AWS_SECRET_ACCESS_KEY: "sluice-secret" },
      file: false,
    });
    assert.deepEqual(config.aws, { awsAccessKeyId: "AKIASLUICE0000000001", awsSecretAccessKey: "sluice-secret", regionName: "eu-west-3" });
    const file = join(home, "config.yaml");
    writeFileSync(file, "aws:\n  aws_access_key_id: AKIAFILE000000000001\n  region_name: us-west-2\n");
    const fromFile = loadConfig({ env: { HOME: home, ...AWS_ENV }, file });
    assert.equal(fromFile.aws.awsAccessKeyId, "AKIAFILE000000000001");
    assert.equal(fromFile.aws.awsSecretAccessKey, undefined, "no secret of another key id is taken from AWS_SECRET_ACCESS_KEY");
    assert.equal(fromFile.aws.regionName, "us-west-2");
  });

  it("orders options, then those variables, then the default chain; the secret never shows", () => {
    const config = loadConfig({ env: { HOME: tmpdir(), ...AWS_ENV }, file: false }).aws;
    const fromOptions = resolveAwsAccess({ awsAccessKeyId: "AKIAOPTIONS000000001", awsSecretAccessKey: "options-secret", regionName: "ap-south-1" }, config);
    assert.equal(fromOptions.source, "options");
    assert.equal(fromOptions.region, "ap-south-1");
    assert.equal(fromOptions.credentials?.identity().accessKeyId, "AKIAOPTIONS000000001");
    const fromVariables = resolveAwsAccess({}, config);
    assert.equal(fromVariables.source, "config");
    assert.equal(fromVariables.region, "eu-west-3");
    assert.deepEqual(fromVariables.credentials?.identity(), {
      accessKeyId: "AKIAFROMENV000000001",
      secretAccessKey: "env-secret-1",
      sessionToken: "env-token-1",
    });
    for (const shown of [JSON.stringify(fromVariables), inspect(fromVariables), String(fromVariables.credentials)]) {
      assert.ok(!shown.includes("env-secret-1") && !shown.includes("env-token-1"), shown);
    }
    assert.deepEqual(resolveAwsAccess({}, {}), { source: "default-chain" });
  });
});
