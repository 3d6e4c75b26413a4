import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/index.js";
import { SluiceError } from "../../src/core/errors.js";

function configFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "sluice-unknown-keys-")), "config.yaml");
  writeFileSync(file, text);
  return file;
}

/** The CONFIG_INVALID error loadConfig throws for these options. */
function refusal(options: Parameters<typeof loadConfig>[0]): SluiceError {
  try {
    loadConfig(options);
  } catch (error) {
    assert.ok(error instanceof SluiceError, `expected a SluiceError, got ${String(error)}`);
    assert.equal(error.code, "CONFIG_INVALID");
    return error;
  }
  assert.fail("loadConfig accepted the configuration");
}

describe("config: unknown keys are errors", () => {
  it("a misspelt key in the config file names the file, the key as written, the nearest key and the keys allowed there", () => {
    const file = configFile("logging:\n  level: debug\nserver:\n  heartbeat_timout_ms: 5000\n");
    const error = refusal({ env: {}, file });
    assert.equal(error.field, "server.heartbeatTimoutMs");
    assert.match(error.message, new RegExp(`config file ${file}`));
    assert.match(error.message, /unknown configuration key "server\.heartbeat_timout_ms"/);
    assert.match(error.message, /did you mean "server\.heartbeat_timeout_ms"\?/);
    assert.match(error.message, /The keys of config\.server are: host, port, database_url/);
  });

  it("hints in the spelling the file used (camelCase keys get camelCase hints)", () => {
    const error = refusal({ env: {}, file: configFile("server:\n  heartbeatTimoutMs: 5000\n") });
    assert.match(error.message, /did you mean "server\.heartbeatTimeoutMs"\?/);
    assert.match(error.message, /heartbeatTimeoutMs, serviceIntervalMs/);
  });

  it("an unknown section in the file is named at the top level, with the sections (platforms' included)", () => {
    const error = refusal({ env: {}, file: configFile("loggin:\n  level: debug\n") });
    assert.equal(error.field, "loggin");
    assert.match(error.message, /did you mean "logging"\?/);
    assert.match(error.message, /The keys of the top level are: home, api, server,.* docker, kubernetes, aws\./);
  });

  it("checks platform sections and the keys platforms add to config.agent", () => {
    assert.match(refusal({ env: {}, file: configFile("kubernetes:\n  namespce: x\n") }).message, /did you mean "kubernetes\.namespace"/);
    assert.match(refusal({ env: {}, file: configFile("agent:\n  docker_netwrk: host\n") }).message, /did you mean "agent\.docker_network"/);
    // The same keys spelt right are accepted.
    const config = loadConfig({ env: {}, file: configFile("kubernetes:\n  namespace: x\nagent:\n  docker_network: bridge\n") });
    assert.equal(config.kubernetes.namespace, "x");
    assert.equal(config.agent.dockerNetwork, "bridge");
  });

  it("a key without a close match lists the allowed keys and guesses nothing", () => {
    const error = refusal({ env: {}, file: configFile("api:\n  something_else_entirely: 1\n") });
    assert.doesNotMatch(error.message, /did you mean/);
    assert.match(error.message, /The keys of config\.api are: url, key, use_local_secrets\./);
  });

  it("a SLUICE__ variable that names no key is an error naming the variable and the nearest variable", () => {
    const error = refusal({ env: { SLUICE__SERVER__PORTT: "5000" }, file: false });
    assert.equal(error.field, "server.portt");
    assert.match(error.message, /environment variable SLUICE__SERVER__PORTT names no configuration key: config\.server has no key "portt"/);
    assert.match(error.message, /did you mean SLUICE__SERVER__PORT\?/);
    assert.match(error.message, /SLUICE__SERVER__HEARTBEAT_TIMEOUT_MS/);
    assert.match(error.message, /Rename or unset SLUICE__SERVER__PORTT/);
  });

  it("a misspelt section in a variable suggests the whole corrected variable", () => {
    const error = refusal({ env: { SLUICE__LOGGNG__LEVEL: "debug" }, file: false });
    assert.equal(error.field, "loggng");
    assert.match(error.message, /did you mean SLUICE__LOGGING__LEVEL\?/);
    assert.match(error.message, /SLUICE__LOGGING__…/);
  });

  it("a variable below a key that holds a single value is an error", () => {
    const error = refusal({ env: { SLUICE__HOME__DIR: "/x" }, file: false });
    assert.match(error.message, /SLUICE__HOME__DIR names no configuration key: config\.home is a single value/);
    assert.match(error.message, /set SLUICE__HOME instead/);
  });

  it("never shows the value of an unknown key (it may be a misspelt secret)", () => {
    const error = refusal({ env: { SLUICE__API__KY: "s3cr3t-api-key" }, file: false });
    assert.match(error.message, /did you mean SLUICE__API__KEY\?/);
    assert.doesNotMatch(error.message, /s3cr3t/);
    assert.equal(error.value, undefined);
  });

  it("an override from a flag outside the schema is an error naming the flags", () => {
    const error = refusal({ env: {}, file: false, overrides: { agent: { dockerNetwerk: "host" } } });
    assert.match(error.message, /^command-line flags: unknown configuration key "agent\.dockerNetwerk" \(did you mean "agent\.dockerNetwork"\?\)/);
  });

  it("every variable of every key, and variables of other programs, are accepted", () => {
    const config = loadConfig({
      env: {
        SLUICE__API__USE_LOCAL_SECRETS: "false",
        SLUICE__SERVER__HEARTBEAT_TIMEOUT_MS: "5000",
        SLUICE__AGENT__DOCKER_NETWORK: "bridge",
        SLUICE__AWS__SUBNETS: "a,b",
        SLUICE__KUBERNETES__API_KEY_SECRET_NAME: "key",
        SLUICE_CONFIG_UNRELATED: "x",
        SLUICE_TEST: "x",
        OTHER__THING: "y",
      },
      file: false,
    });
    assert.equal(config.api.useLocalSecrets, false);
    assert.equal(config.server.heartbeatTimeoutMs, 5000);
    assert.equal(config.agent.dockerNetwork, "bridge");
    assert.deepEqual(config.aws?.subnets, ["a", "b"]);
  });

  it("free-form values (lists) are not walked as keys", () => {
    const config = loadConfig({ env: {}, file: configFile("agent:\n  labels: [a, b]\nserver:\n  cors_origins:\n    - https://x.example\n") });
    assert.deepEqual(config.agent.labels, ["a", "b"]);
    assert.deepEqual(config.server.corsOrigins, ["https://x.example"]);
  });
});
