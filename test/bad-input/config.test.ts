/**
 * Bad configuration: SLUICE__* variables and config files. Each error names the key (and its variable),
 * shows the value unless it is a secret, and says what to do; a bad file is named.
 */
import { describe, it } from "node:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/index.js";
import { assertRefused, type Expectation } from "./clear-error.js";

interface EnvCase extends Expectation {
  env: Record<string, string>;
}

const envCases: EnvCase[] = [
  { env: { SLUICE__SERVER__PORT: "http" }, code: "CONFIG_INVALID", field: "SLUICE__SERVER__PORT", shows: '"http"' },
  { env: { SLUICE__SERVER__PORT: "70000" }, code: "CONFIG_INVALID", field: "server.port", shows: "70000" },
  { env: { SLUICE__SERVER__PORT: "-1" }, code: "CONFIG_INVALID", field: "server.port", shows: "-1" },
  { env: { SLUICE__SERVER__PORT: "80.5" }, code: "CONFIG_INVALID", field: "server.port", shows: "80.5" },
  { env: { SLUICE__SERVER__AUTH: "maybe" }, code: "CONFIG_INVALID", field: "SLUICE__SERVER__AUTH", shows: '"maybe"' },
  { env: { SLUICE__API__URL: "not a url" }, code: "CONFIG_INVALID", field: "SLUICE__API__URL", shows: '"not a url"' },
  { env: { SLUICE__LOGGING__LEVEL: "verbose" }, code: "CONFIG_INVALID", field: "SLUICE__LOGGING__LEVEL", shows: '"verbose"' },
  { env: { SLUICE__LOGGING__BATCH_SIZE: "0" }, code: "CONFIG_INVALID", field: "SLUICE__LOGGING__BATCH_SIZE", shows: "0" },
  { env: { SLUICE__SERVER__BODY_LIMIT_BYTES: "10" }, code: "CONFIG_INVALID", field: "SLUICE__SERVER__BODY_LIMIT_BYTES", shows: "10" },
  { env: { SLUICE__SERVER__HEARTBEAT_TIMEOUT_MS: "2m" }, code: "CONFIG_INVALID", field: "SLUICE__SERVER__HEARTBEAT_TIMEOUT_MS", shows: '"2m"' },
  { env: { SLUICE__AGENT__MAX_CONCURRENT_RUNS: "5000" }, code: "CONFIG_INVALID", field: "SLUICE__AGENT__MAX_CONCURRENT_RUNS", shows: "5000" },
  { env: { SLUICE__AGENT__NAME: "" }, code: "CONFIG_INVALID", field: "SLUICE__AGENT__NAME", shows: '""' },
  { env: { SLUICE__AGENT__ACCEPT_UNLABELLED: "sometimes" }, code: "CONFIG_INVALID", field: "SLUICE__AGENT__ACCEPT_UNLABELLED", shows: '"sometimes"' },
  { env: { SLUICE__EXECUTOR__WORK_STEALING: "2" }, code: "CONFIG_INVALID", field: "SLUICE__EXECUTOR__WORK_STEALING", shows: '"2"' },
  { env: { SLUICE__EXECUTOR__WORKER_CONCURRENCY: "0" }, code: "CONFIG_INVALID", field: "SLUICE__EXECUTOR__WORKER_CONCURRENCY", shows: "0" },
  { env: { SLUICE__REPORTER__HEARTBEAT_INTERVAL_MS: "1" }, code: "CONFIG_INVALID", field: "SLUICE__REPORTER__HEARTBEAT_INTERVAL_MS", shows: "1" },
  { env: { SLUICE__SERVER__LEADER_RETRY_MS: "x" }, code: "CONFIG_INVALID", field: "SLUICE__SERVER__LEADER_RETRY_MS", shows: '"x"' },
];

describe("bad SLUICE__ variables", () => {
  for (const c of envCases) {
    const [name, value] = Object.entries(c.env)[0]!;
    it(`${name}=${JSON.stringify(value)}`, async () => {
      await assertRefused(() => loadConfig({ env: { SLUICE__HOME: tmpdir(), ...c.env }, file: false }), c, name);
    });
  }
});

describe("bad config files", () => {
  const cases: (Expectation & { name: string; text: string })[] = [
    { name: "YAML that does not parse", text: "server: [port: 1\n", code: "CONFIG_INVALID", field: "config.yaml" },
    { name: "a port as a word", text: "server:\n  port: http\n", code: "CONFIG_INVALID", field: "server.port", shows: '"http"' },
    { name: "snake_case key with a bad value", text: "logging:\n  batch_size: -3\n", code: "CONFIG_INVALID", field: "logging.batchSize", shows: "-3" },
    { name: "a section that is a list", text: "server:\n  - 1\n", code: "CONFIG_INVALID", field: "server" },
    {
      name: "a bad secret is named, never shown",
      text: "executor:\n  redis_password: [hunter2-secret]\n",
      code: "CONFIG_INVALID",
      field: "executor.redisPassword",
      hides: "hunter2-secret",
    },
  ];
  for (const c of cases)
    it(c.name, async () => {
      const dir = await mkdtemp(join(tmpdir(), "sluice-bad-config-"));
      try {
        const file = join(dir, "config.yaml");
        await writeFile(file, c.text);
        await assertRefused(() => loadConfig({ env: { SLUICE__HOME: dir }, file }), c, c.name);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

  it("a config file that does not exist", async () => {
    await assertRefused(
      () => loadConfig({ env: { SLUICE__HOME: tmpdir() }, file: "/nonexistent/sluice.yaml" }),
      { code: "CONFIG_INVALID", field: "/nonexistent/sluice.yaml" },
      "missing file",
    );
  });
});
