/**
 * CloudClusterEnvironment's options and the tasks it builds, without AWS: validation errors name the
 * field and the value, onExecute's changes are validated and its errors are not fatal, serialize()
 * carries no secret, and the broker/worker definitions and RunTask inputs hold what they must (TLS-only
 * broker, the run-id and role tags, per-run secrets only as overrides).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { deserializeEnvironment } from "../../../../src/core/environment.js";
import { SluiceError } from "../../../../src/core/errors.js";
import { createEnvironment, kindOfType } from "../../../../src/platforms/environment-registry.js";
import { CloudClusterEnvironment } from "../../../../src/platforms/aws/cluster/index.js";
import { runEnvironmentConformance } from "../../../../src/testing/index.js";
import {
  brokerScript,
  clusterRunTask,
  clusterTaskDefinition,
  shellQuote,
  taskAddress,
  workerScript,
  workerSharedEnv,
} from "../../../../src/platforms/aws/cluster/cluster-tasks.js";
import { compileClusterOptions } from "../../../../src/platforms/aws/cluster/options.js";
import { checkMaterial, selfSignedMaterial } from "../../../../src/platforms/aws/cluster/tls-material.js";
import { wantedWorkers } from "../../../../src/platforms/aws/cluster/worker-pool.js";

const NET = { networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-1"] } } };

function rejects(options: Record<string, unknown>, check: (e: SluiceError) => boolean): void {
  assert.throws(
    () => new CloudClusterEnvironment(options),
    (e: unknown) => e instanceof SluiceError && e.code === "INVALID_OPTION" && check(e),
  );
}

describe("CloudClusterEnvironment options", () => {
  it("defaults: Fargate, 2 fixed workers, serialized without secrets", () => {
    const env = new CloudClusterEnvironment({ ...NET, labels: ["b", "a"], broker: "rediss://:hunter2@redis.example:6380", awsSecretAccessKey: "SECRETKEY" });
    assert.equal(env.provider, "fargate");
    assert.deepEqual(env.sizing, { kind: "fixed", workers: 2 });
    const s = env.serialize();
    assert.equal(s.type, "CloudClusterEnvironment");
    assert.deepEqual(s.labels, ["a", "b"]);
    const text = JSON.stringify(s);
    for (const secret of ["hunter2", "redis.example", "SECRETKEY", "subnet-1"]) assert.ok(!text.includes(secret), `${secret} in ${text}`);
  });

  it("serializes the provider and size only; deserializes to a stand-in of kind cloud-cluster that routes", async () => {
    const env = new CloudClusterEnvironment({ adaptiveMinWorkers: 1, adaptiveMaxWorkers: 3, labels: ["ecs"], metadata: { image: "img:1" } });
    const s = env.serialize();
    assert.deepEqual(
      { ...s, version: "x" },
      {
        type: "CloudClusterEnvironment",
        version: "x",
        labels: ["ecs"],
        metadata: { image: "img:1" },
        provider: "fargate",
        workers: null,
        adaptiveMinWorkers: 1,
        adaptiveMaxWorkers: 3,
      },
    );
    const back = deserializeEnvironment(JSON.parse(JSON.stringify(s)));
    assert.deepEqual([...back.labels], ["ecs"]);
    assert.equal(kindOfType(back.type), "cloud-cluster");
    const made = await createEnvironment("cloud-cluster", { workers: 3, provider: "ecs", networkMode: "awsvpc", labels: ["x"] });
    assert.equal(made.serialize().type, "CloudClusterEnvironment");
    assert.equal((made as CloudClusterEnvironment).provider, "ecs");
  });

  it("ECS secrets: an existing broker's password may come from one; what the run's own broker makes per run may not", () => {
    const secrets = (name: string) => ({
      executionRoleArn: "arn:aws:iam::123456789012:role/exec",
      containerDefinitions: [{ secrets: [{ name, valueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret:broker" }] }],
    });
    // Another machine's redis:// without a password in the option: its password comes from the secret.
    assert.doesNotThrow(() => new CloudClusterEnvironment({ ...NET, ...secrets("SLUICE__EXECUTOR__REDIS_PASSWORD"), broker: "redis://redis.internal:6379" }));
    rejects({ ...NET, broker: "redis://redis.internal:6379" }, (e) => e.field === "broker" && /neither a password nor TLS/.test(e.message));
    for (const name of ["SLUICE__EXECUTOR__REDIS_PASSWORD", "SLUICE_BROKER_TLS_KEY"]) {
      rejects(
        { ...NET, ...secrets(name) },
        (e) => e.field === "containerDefinitions.0.secrets" && e.message.includes(name) && /makes for each run/.test(e.message),
      );
    }
    assert.doesNotThrow(() => new CloudClusterEnvironment({ ...NET, ...secrets("RESULT_STORE_TOKEN") }), "other variables may come from secrets");
  });

  it("adaptive bounds", () => {
    assert.deepEqual(new CloudClusterEnvironment({ adaptiveMinWorkers: 1, adaptiveMaxWorkers: 3 }).sizing, { kind: "adaptive", min: 1, max: 3 });
    assert.deepEqual(new CloudClusterEnvironment({ adaptiveMaxWorkers: 4 }).sizing, { kind: "adaptive", min: 1, max: 4 });
    rejects({ adaptiveMinWorkers: 1 }, (e) => e.field === "adaptiveMaxWorkers");
    rejects({ adaptiveMinWorkers: 4, adaptiveMaxWorkers: 2 }, (e) => e.field === "adaptiveMinWorkers" && /4, more than adaptiveMaxWorkers 2/.test(e.message));
    rejects({ workers: 2, adaptiveMaxWorkers: 3 }, (e) => e.field === "workers");
  });

  it("bad values name the field and the value", () => {
    rejects({ provider: "gcp" }, (e) => e.field === "provider" && /"gcp"/.test(e.message));
    rejects({ workers: 0 }, (e) => e.field === "workers" && /option workers is 0/.test(e.message));
    rejects({ brokerPort: 70000 }, (e) => e.field === "brokerPort");
    rejects({ cpuu: "256" }, (e) => e.field === "cpuu" && /did you mean "cpu"/.test(e.message) && e.message.startsWith("CloudClusterEnvironment:"));
    rejects({ launchType: "EC2" }, (e) => e.field === "launchType" && /provider/.test(e.message));
    rejects({ family: "mine" }, (e) => e.field === "family");
    rejects({ count: 1 }, (e) => e.field === "count");
    rejects({ provider: "ecs", memory: "512" }, (e) => e.field === "networkMode" && /awsvpc/.test(e.message));
    rejects({ executorOptions: { redis: "redis://x" } }, (e) => e.field === "executorOptions.redis");
    rejects({ broker: "redis://redis.example:6379" }, (e) => e.field === "broker" && /neither a password nor TLS/.test(e.message));
    assert.equal(new CloudClusterEnvironment({ broker: "redis://redis.example:6379", allowInsecureBroker: true }).provider, "fargate");
    assert.equal(new CloudClusterEnvironment({ broker: "redis://127.0.0.1:6379" }).provider, "fargate");
    rejects({ security: { certFile: "/c.pem" } }, (e) => e.field === "security.keyFile");
    rejects({ broker: "rediss://:p@h:1", security: { certFile: "/c", keyFile: "/k" } }, (e) => e.field === "security");
    assert.throws(
      () => new CloudClusterEnvironment({ executor: {} } as never),
      (e: unknown) => e instanceof SluiceError && e.field === "executor",
    );
    assert.throws(
      () => new CloudClusterEnvironment({ onExecute: 3 } as never),
      (e: unknown) => e instanceof SluiceError && e.field === "onExecute",
    );
  });

  it("onExecute resizes a copy; its changes are validated; its errors are logged and the options kept", async () => {
    const seen: Record<string, unknown>[] = [];
    const env = new CloudClusterEnvironment({
      workers: 2,
      onExecute: (parameters, provider) => {
        seen.push(parameters);
        if (parameters.fail) throw new Error("no sizing today");
        provider.workers = parameters.workers;
      },
    });
    assert.deepEqual((await env.optionsFor({ workers: 5 })).sizing, { kind: "fixed", workers: 5 });
    assert.deepEqual(env.sizing, { kind: "fixed", workers: 2 }, "the environment itself is unchanged");
    const logged: string[] = [];
    assert.deepEqual((await env.optionsFor({ fail: true }, (_l, m) => logged.push(m))).sizing, { kind: "fixed", workers: 2 });
    assert.match(logged.join("\n"), /onExecute failed, the cluster keeps its options: no sizing today/);
    await assert.rejects(
      env.optionsFor({ workers: -1 }),
      (e: unknown) => e instanceof SluiceError && e.field === "workers" && /as changed by onExecute/.test(e.message),
    );
    assert.equal(seen.length, 3);
  });
});

describe("the cluster's tasks", () => {
  const o = compileClusterOptions({ ...NET, memory: "1024", tags: [{ key: "team", value: "data" }] });

  it("the broker runs redis-server with TLS only and the run's password from its variables", () => {
    const script = brokerScript(["redis-server"], 6380);
    assert.match(script, /--port 0 --tls-port 6380/);
    assert.match(script, /--tls-auth-clients no/);
    assert.match(script, /--requirepass "\$SLUICE_BROKER_PASSWORD"/);
    assert.match(script, /printf '%s' "\$SLUICE_BROKER_TLS_KEY" > \/tmp\/sluice-broker-key\.pem/);
    const def = clusterTaskDefinition({ aws: o.aws, flowName: "My Flow", role: "broker", image: "img:1", script });
    const c = def.containerDefinitions[0]!;
    assert.deepEqual(c.entryPoint, ["sh"]);
    assert.deepEqual(c.command, ["-c", script]);
    assert.equal(c.image, "img:1");
    assert.equal(def.memory, "1024");
    assert.equal(def.networkMode, "awsvpc");
    assert.match(def.family, /^sluice-my-flow-cluster-broker-/);
    assert.equal(
      clusterTaskDefinition({ aws: o.aws, flowName: "My Flow", role: "broker", image: "img:1", script }).family,
      def.family,
      "same content, same family",
    );
  });

  it("workers run sluice worker with the CA written from a variable; no secret in the definition", () => {
    const script = workerScript(["node", "/app/my cli.js"]);
    assert.match(script, /exec node '\/app\/my cli\.js' worker --worker-id "\$SLUICE_WORKER_ID"/);
    const env = workerSharedEnv({ queuePrefix: "sluice-cluster-r1", concurrency: 3, ownBroker: true });
    const def = clusterTaskDefinition({ aws: o.aws, flowName: "f", role: "worker", image: "img:1", script, env });
    const vars = Object.fromEntries(def.containerDefinitions[0]!.environment!.map((e) => [e.name, e.value]));
    assert.equal(vars.SLUICE__EXECUTOR__QUEUE_PREFIX, "sluice-cluster-r1");
    assert.equal(vars.SLUICE__EXECUTOR__REDIS_TLS_SERVERNAME, "sluice-broker");
    assert.ok(!("SLUICE__EXECUTOR__REDIS_PASSWORD" in vars));
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
  });

  it("RunTask: run-id and role tags, this task's variables as overrides", () => {
    const request = clusterRunTask({ aws: o.aws, taskDefinition: "arn:td", networkMode: "awsvpc", flowRunId: "run-1", role: "worker", env: { A: "1" } });
    assert.deepEqual(request.tags, [
      { key: "team", value: "data" },
      { key: "sluice.io/flow-run-id", value: "run-1" },
      { key: "sluice.io/cluster-role", value: "worker" },
    ]);
    assert.deepEqual(request.overrides.containerOverrides[0]!.environment, [{ name: "A", value: "1" }]);
    assert.equal(request.launchType, "FARGATE");
    const noNet = compileClusterOptions({});
    assert.throws(
      () => clusterRunTask({ aws: noNet.aws, taskDefinition: "arn:td", networkMode: "awsvpc", flowRunId: "r", role: "broker", env: {} }),
      (e: unknown) => e instanceof SluiceError && e.field === "networkConfiguration" && e.message.startsWith("CloudClusterEnvironment:"),
    );
  });

  it("the broker's address comes from its ENI", () => {
    assert.equal(
      taskAddress({
        attachments: [
          {
            details: [
              { name: "subnetId", value: "s" },
              { name: "privateIPv4Address", value: "10.0.0.7" },
            ],
          },
        ],
      }),
      "10.0.0.7",
    );
    assert.equal(taskAddress({ containers: [{ networkInterfaces: [{ privateIpv4Address: "10.0.0.8" }] }] }), "10.0.0.8");
    assert.equal(taskAddress({ attachments: [] }), undefined);
  });

  it("adaptive sizing wants ceil(load / concurrency) within the bounds", () => {
    assert.equal(wantedWorkers({ waiting: 0, active: 0 }, 1, 3, 2), 1);
    assert.equal(wantedWorkers({ waiting: 3, active: 2 }, 1, 3, 2), 3);
    assert.equal(wantedWorkers({ waiting: 50, active: 4 }, 1, 3, 2), 3);
    assert.equal(wantedWorkers({ waiting: 1, active: 2 }, 0, 3, 2), 2);
  });
});

describe("the broker's TLS material", () => {
  it("a self-signed certificate for the broker's name, matching its key", () => {
    const m = selfSignedMaterial({ serverName: "sluice-broker", ipAddresses: ["10.1.2.3", "::1"] });
    const cert = new X509Certificate(m.cert);
    assert.equal(cert.checkHost("sluice-broker"), "sluice-broker");
    assert.equal(cert.checkIP("10.1.2.3"), "10.1.2.3");
    assert.ok(cert.ca && cert.verify(cert.publicKey));
    assert.equal(checkMaterial(m, "security"), m);
    const other = selfSignedMaterial({ serverName: "x" });
    assert.throws(
      () => checkMaterial({ ...m, key: other.key }, "security"),
      (e: unknown) => e instanceof SluiceError && e.field === "security.keyFile",
    );
    assert.throws(
      () => checkMaterial({ ...m, cert: "nope" }, "security"),
      (e: unknown) => e instanceof SluiceError && e.field === "security.certFile",
    );
  });
});

runEnvironmentConformance("cloud-cluster", {
  type: "CloudClusterEnvironment",
  create: (options) => new CloudClusterEnvironment({ ...options }),
  fields: { provider: "fargate", workers: 2, adaptiveMinWorkers: null, adaptiveMaxWorkers: null },
  ownExecutor: true, // the cluster runs the distributed executor on its own broker
});
