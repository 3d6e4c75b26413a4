import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configSchema, DEFAULT_CONFIG, defaultConfig, loadConfig, configFromEnv } from "../../src/config/index.js";
import { SluiceError } from "../../src/core/errors.js";

describe("config", () => {
  it("maps SLUICE__SECTION__KEY variables onto the schema", () => {
    assert.deepEqual(configFromEnv({ SLUICE__API__USE_LOCAL_SECRETS: "false", OTHER: "x", SLUICE__HOME: "/h" }), {
      api: { useLocalSecrets: "false" },
      home: "/h",
    });
    const config = loadConfig({
      env: { SLUICE__API__USE_LOCAL_SECRETS: "false", SLUICE__LOGGING__EXTRA_LOGGERS: "a, b", SLUICE__SERVER__PORT: "5000" },
      file: false,
    });
    assert.equal(config.api.useLocalSecrets, false);
    assert.deepEqual(config.logging.extraLoggers, ["a", "b"]);
    assert.equal(config.server.port, 5000);
    assert.equal(config.api.url, "http://127.0.0.1:4200");
    assert.equal(config.context.namespace, "default");
  });

  it("takes the environment over the config file over the defaults", () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-config-"));
    const file = join(dir, "config.yaml");
    writeFileSync(file, "logging:\n  level: debug\napi:\n  url: http://file:1\nserver:\n  heartbeat_timeout_ms: 5000\n");
    const config = loadConfig({ env: { SLUICE__API__URL: "http://env:2" }, file });
    assert.equal(config.logging.level, "debug");
    assert.equal(config.api.url, "http://env:2");
    assert.equal(config.server.heartbeatTimeoutMs, 5000);
  });

  it("names the field and the variable of an invalid value", () => {
    assert.throws(
      () => loadConfig({ env: { SLUICE__LOGGING__LEVEL: "loud" }, file: false }),
      (e: unknown) => e instanceof SluiceError && e.code === "CONFIG_INVALID" && e.field === "logging.level" && /SLUICE__LOGGING__LEVEL/.test(e.message),
    );
  });

  it("builds DEFAULT_CONFIG from the same tables as the schema's defaults (the fast path of loadConfig returns it without the schema)", () => {
    assert.deepEqual(configSchema().parse({}), DEFAULT_CONFIG);
    const copy = defaultConfig();
    assert.deepEqual(copy, DEFAULT_CONFIG);
    copy.logging.extraLoggers.push("changed");
    assert.deepEqual(DEFAULT_CONFIG.logging.extraLoggers, [], "defaultConfig() is a copy");
  });

  it("without a file or SLUICE__ variable, returns the defaults with the home directory, as the schema would", () => {
    const dir = mkdtempSync(join(tmpdir(), "sluice-config-"));
    const fast = loadConfig({ env: { HOME: dir, OTHER: "x" } });
    assert.deepEqual(fast, configSchema().parse({ home: join(dir, ".sluice") }));
    assert.deepEqual(loadConfig({ env: { SLUICE__HOME: dir }, file: false }), configSchema().parse({ home: dir }));
    assert.deepEqual(loadConfig({ env: {}, file: false, overrides: { home: dir } }), configSchema().parse({ home: dir }));
    fast.logging.extraLoggers.push("changed");
    assert.deepEqual(loadConfig({ env: { HOME: dir } }).logging.extraLoggers, [], "each call returns its own copy");
    // Anything besides the home directory goes through the schema.
    writeFileSync(join(dir, "config.yaml"), "logging:\n  level: warn\n");
    assert.equal(loadConfig({ env: { SLUICE__HOME: dir } }).logging.level, "warn");
    assert.equal(loadConfig({ env: { HOME: dir }, file: false, overrides: { server: { port: "5000" } } }).server.port, 5000);
    assert.throws(
      () => loadConfig({ env: { SLUICE__HOME: "" }, file: false, overrides: { home: 5 } }),
      (e: unknown) => e instanceof SluiceError && e.field === "home",
    );
  });

  it("fails clearly on a config file that does not exist when one is named", () => {
    assert.throws(() => loadConfig({ env: {}, file: "/nonexistent/sluice.yaml" }), /does not exist/);
  });
});
