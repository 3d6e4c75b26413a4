import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, configFromEnv } from "../../src/config/index.js";
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

  it("fails clearly on a config file that does not exist when one is named", () => {
    assert.throws(() => loadConfig({ env: {}, file: "/nonexistent/sluice.yaml" }), /does not exist/);
  });
});
