/**
 * The AWS platform's modules load no AWS SDK until a client is created: importing every one of them with
 * the SDK packages blocked succeeds, and creating the client is what loads them (so the check can fail).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { spawnNode } from "../../support/spawn-node.js";

const BLOCK_HEAVY = fileURLToPath(new URL("../fixtures/block-heavy.mjs", import.meta.url));
const AWS_DIR = fileURLToPath(new URL("../../../src/platforms/aws/", import.meta.url));
const BLOCK = { SLUICE_BLOCK_ALSO: "@aws-sdk/client-ecs,@aws-sdk/client-cloudwatch-logs" };

describe("AWS platform: lazy SDK loading", { timeout: 120_000 }, () => {
  const modules = readdirSync(AWS_DIR)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => new URL(f, `file://${AWS_DIR}`).href);

  it("importing every module of src/platforms/aws loads no AWS SDK", async () => {
    assert.ok(modules.length >= 10);
    const script = `for (const m of ${JSON.stringify(modules)}) await import(m); process.stdout.write("ok");`;
    const r = await spawnNode(["--conditions=sluice-source", "--import", "tsx", "--import", BLOCK_HEAVY, "--input-type=module", "-e", script], BLOCK);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "ok");
  });

  it("creating the client is what loads the SDK", async () => {
    const client = modules.find((m) => m.endsWith("/ecs-client.ts"))!;
    const script = `const { createEcsApi } = await import(${JSON.stringify(client)}); await createEcsApi({ region: "us-east-1" });`;
    const r = await spawnNode(["--conditions=sluice-source", "--import", "tsx", "--import", BLOCK_HEAVY, "--input-type=module", "-e", script], BLOCK);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /heavy module loaded: @aws-sdk\/client-ecs/);
  });
});
