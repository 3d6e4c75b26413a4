/**
 * KubernetesClusterEnvironment.setup() with the deprecated privateRegistry: the registry credentials
 * come from a secret on a real Sluice server (SQLite) and become a kubernetes.io/dockerconfigjson Secret
 * `<namespace>-docker` on the Kubernetes stand-in, once; the default specs pull with it.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createClient } from "../../../../src/client/index.js";
import { configSchema, type SluiceConfig } from "../../../../src/config/schema.js";
import type { SluiceError } from "../../../../src/core/errors.js";
import type { RunEvent } from "../../../../src/core/events.js";
import { KubernetesClusterEnvironment } from "../../../../src/platforms/kubernetes/cluster/index.js";
import { startServer, type RunningServer } from "../../../../src/server/index.js";
import { startKubeStandin, type KubeStandin } from "../../../support/kube/index.js";
import { IMAGE, scalingFlow } from "./fixtures/cluster-flow.js";

const discard = new Writable({ write: (_chunk, _encoding, callback) => callback() });

describe("KubernetesClusterEnvironment.setup (privateRegistry)", { timeout: 60_000 }, () => {
  let kube: KubeStandin;
  let server: RunningServer;
  let home: string;
  let config: SluiceConfig;

  before(async () => {
    home = mkdtempSync(join(tmpdir(), "sluice-cluster-setup-"));
    server = await startServer({
      config: configSchema().parse({ home, server: { databaseUrl: "sqlite::memory:" } }),
      port: 0,
      services: false,
      logStream: discard,
    });
    kube = await startKubeStandin({ runner: "process", namespaces: ["team-a"] });
    config = configSchema().parse({ api: { url: server.url }, context: { namespace: "team-a" }, kubernetes: { kubeconfig: kube.kubeconfigPath } });
  });
  after(async () => {
    await kube?.close();
    await server?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it("creates <namespace>-docker from the server secret when missing, and only then", async () => {
    await createClient({ url: server.url }).setSecret("REGISTRY", {
      "docker-server": "registry.example:5000",
      "docker-username": "robot",
      "docker-password": "s3cret",
      "docker-email": "r@example.com",
    });
    const env = new KubernetesClusterEnvironment({ privateRegistry: true, dockerSecret: "REGISTRY", metadata: { image: IMAGE } });
    const events: RunEvent[] = [];
    await env.setup(scalingFlow, { config, observers: [(e) => events.push(e)], logLevel: "silent" });
    const secret = kube.objects("secrets", "team-a").find((s) => s.metadata.name === "team-a-docker");
    assert.ok(secret, "the pull Secret exists");
    assert.equal(secret.type, "kubernetes.io/dockerconfigjson");
    const docker = JSON.parse(Buffer.from(secret.data[".dockerconfigjson"], "base64").toString("utf8"));
    assert.equal(docker.auths["registry.example:5000"].username, "robot");
    assert.equal(docker.auths["registry.example:5000"].auth, Buffer.from("robot:s3cret").toString("base64"));
    assert.ok(
      events.some(
        (e) => e.type === "log" && /created registry pull Secret team-a-docker in namespace team-a from the server secret REGISTRY/.test(e.record.message),
      ),
    );
    assert.ok(!JSON.stringify(events).includes("s3cret"), "the password is not logged");

    const creates = () => kube.received.filter((r) => r.verb === "create" && r.resource === "secrets").length;
    const before = creates();
    await env.setup(scalingFlow, { config, logLevel: "silent" });
    assert.equal(creates(), before, "an existing Secret is left alone");

    const { job } = env.buildJob(scalingFlow, { config, flowRunId: "run-pr", parameters: { outDir: "/tmp" } });
    assert.deepEqual(job.spec.template.spec.imagePullSecrets, [{ name: "team-a-docker" }]);
  });

  it("without privateRegistry, setup does nothing; a missing server secret fails with its name", async () => {
    const calls = kube.received.length;
    await new KubernetesClusterEnvironment().setup(scalingFlow, { config });
    assert.equal(kube.received.length, calls);
    const env = new KubernetesClusterEnvironment({ privateRegistry: true, dockerSecret: "NOPE" });
    const other = { ...config, context: { ...config.context, namespace: "default" } };
    await assert.rejects(
      env.setup(scalingFlow, { config: other, logLevel: "silent" }),
      (e: SluiceError) => e.field === "dockerSecret" && /server secret NOPE/.test(e.message),
    );
  });
});
