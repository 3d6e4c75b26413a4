import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type SluiceError } from "../../../src/core/errors.js";
import { compareDefinitions, definitionContentKey, definitionMismatch, familyFor, normalizeDefinition } from "../../../src/platforms/aws/definition-compare.js";
import { splitFargateOptions } from "../../../src/platforms/aws/options.js";
import { awslogsStreams, buildTaskDefinition } from "../../../src/platforms/aws/task-definition.js";

const command = ["sluice", "execute", "flow-run", "--stage", "run"];
const env = { SLUICE__API__URL: "http://api:4200", SLUICE__LOGGING__LEVEL: "info" };

describe("task definition builder", () => {
  it("names the first container flow-container, runs the flow's image with Sluice's entry, and fills Fargate defaults", () => {
    const { taskDefinition } = splitFargateOptions({});
    const def = buildTaskDefinition({ options: taskDefinition, launchType: "FARGATE", image: "reg/etl:1", command, env });
    assert.equal(def.containerDefinitions.length, 1);
    const first = def.containerDefinitions[0]!;
    assert.equal(first.name, "flow-container");
    assert.equal(first.image, "reg/etl:1");
    assert.deepEqual(first.entryPoint, ["sluice"]);
    assert.deepEqual(first.command, ["execute", "flow-run", "--stage", "run"]);
    assert.deepEqual(first.environment, [
      { name: "SLUICE__API__URL", value: "http://api:4200" },
      { name: "SLUICE__LOGGING__LEVEL", value: "info" },
    ]);
    assert.equal(def.networkMode, "awsvpc");
    assert.deepEqual(def.requiresCompatibilities, ["FARGATE"]);
    assert.equal(def.cpu, "256");
    assert.equal(def.memory, "512");
  });

  it("adds the run-contract variables by name to every container, the user's values win, and the user's objects are not mutated", () => {
    const raw = {
      memory: 1024,
      cpu: 512,
      containerDefinitions: [
        {
          image: "ignored",
          environment: [
            { name: "SLUICE__LOGGING__LEVEL", value: "debug" },
            { name: "MINE", value: "1" },
          ],
          memory: 900,
        },
        { name: "sidecar", image: "envoy", essential: false },
      ],
    };
    const frozen = structuredClone(raw);
    const { taskDefinition } = splitFargateOptions(raw);
    const optionsCopy = structuredClone(taskDefinition);
    const def = buildTaskDefinition({ options: taskDefinition, launchType: "FARGATE", image: "reg/etl:2", command, env });
    assert.deepEqual(raw, frozen);
    assert.deepEqual(taskDefinition, optionsCopy);
    const [first, sidecar] = def.containerDefinitions;
    assert.equal(first!.image, "reg/etl:2", "the flow's image replaces the first container's");
    assert.deepEqual(first!.environment, [
      { name: "SLUICE__LOGGING__LEVEL", value: "debug" },
      { name: "MINE", value: "1" },
      { name: "SLUICE__API__URL", value: "http://api:4200" },
    ]);
    assert.equal(first!.memory, 900);
    assert.equal(sidecar!.name, "sidecar");
    assert.equal(sidecar!.image, "envoy");
    assert.deepEqual(sidecar!.environment!.map((e) => e.name).sort(), ["SLUICE__API__URL", "SLUICE__LOGGING__LEVEL"]);
    assert.equal(def.cpu, "512");
  });

  it("refuses run-specific variables (API key, run id) in a definition shared by runs", () => {
    assert.throws(
      () => buildTaskDefinition({ options: {}, launchType: "FARGATE", image: "i", command, env: { SLUICE__API__KEY: "k" } }),
      (e: SluiceError) => e.field === "SLUICE__API__KEY" && !e.message.includes('"k"'),
    );
  });

  it("EC2 without any memory is an error naming memory", () => {
    assert.throws(
      () => buildTaskDefinition({ options: {}, launchType: "EC2", image: "i", command, env: {} }),
      (e: SluiceError) => e.field === "memory",
    );
    const def = buildTaskDefinition({ options: { memory: "512" }, launchType: "EC2", image: "i", command, env: {} });
    assert.equal(def.networkMode, undefined);
  });

  it("knows the awslogs stream of each container", () => {
    const streams = awslogsStreams(
      {
        containerDefinitions: [
          { name: "flow-container", logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/ecs/sluice", "awslogs-stream-prefix": "run" } } },
          { name: "other", logConfiguration: { logDriver: "json-file" } },
        ],
      },
      "arn:aws:ecs:us-east-1:1:task/default/0123abcd",
    );
    assert.deepEqual(streams, [{ container: "flow-container", group: "/ecs/sluice", stream: "run/flow-container/0123abcd" }]);
  });
});

/** What DescribeTaskDefinition answers for `wanted` after AWS filled it in. */
function described(wanted: Record<string, unknown>): Record<string, unknown> {
  const w = structuredClone(wanted) as Record<string, unknown>;
  return {
    ...w,
    taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${String(w.family)}:4`,
    revision: 4,
    status: "ACTIVE",
    compatibilities: ["EC2", "FARGATE"],
    requiresAttributes: [{ name: "com.amazonaws.ecs.capability.docker-remote-api.1.18" }],
    registeredAt: new Date(),
    registeredBy: "arn:aws:iam::123456789012:user/x",
    executionRoleArn: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
    cpu: "1024",
    memory: "2048",
    volumes: [],
    placementConstraints: [],
    containerDefinitions: (w.containerDefinitions as Record<string, unknown>[]).map((c) => ({
      cpu: 0,
      essential: true,
      mountPoints: [],
      volumesFrom: [],
      systemControls: [],
      ...c,
      environment: [...((c.environment as unknown[]) ?? [])].reverse(),
      portMappings: ((c.portMappings as Record<string, unknown>[]) ?? []).map((p) => ({ ...p, hostPort: p.containerPort, protocol: "tcp" })).reverse(),
    })),
  };
}

describe("task definition comparison", () => {
  const wanted = {
    family: "etl",
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
    executionRoleArn: "ecsTaskExecutionRole",
    cpu: "1 vCPU",
    memory: "2GB",
    containerDefinitions: [
      {
        name: "flow-container",
        image: "reg/etl:1",
        memory: 1024,
        environment: [
          { name: "A", value: "1" },
          { name: "B", value: "2" },
        ],
        portMappings: [{ containerPort: 80 }, { containerPort: 443 }],
      },
    ],
  };

  it("ignores what AWS fills in: revision, status, ARNs vs short names, sizes, defaults, order of sets", () => {
    assert.deepEqual(compareDefinitions(described(wanted), wanted), []);
    assert.equal(definitionContentKey(described(wanted)), definitionContentKey(wanted));
  });

  it("a difference is one readable line per field, and the error says what to do", () => {
    const registered = described({
      ...wanted,
      containerDefinitions: [
        {
          ...wanted.containerDefinitions[0],
          memory: 512,
          environment: [
            { name: "A", value: "0" },
            { name: "B", value: "2" },
          ],
        },
      ],
    });
    const differences = compareDefinitions(registered, wanted);
    assert.deepEqual(differences, [
      'containerDefinitions[flow-container].environment[A].value: registered "0", this flow "1"',
      "containerDefinitions[flow-container].memory: registered 512, this flow 1024",
    ]);
    const e = definitionMismatch("etl", 4, differences);
    assert.equal(e.code, "CONFLICT");
    assert.match(e.message, /task definition etl:4 differs/);
    assert.match(e.message, /memory: registered 512, this flow 1024/);
    assert.match(e.message, /remove the option family/);
  });

  it("a missing or extra container or variable is reported", () => {
    const registered = described({ ...wanted, containerDefinitions: [...wanted.containerDefinitions, { name: "sidecar", image: "envoy", memory: 64 }] });
    const differences = compareDefinitions(registered, wanted);
    assert.equal(differences.length, 1);
    assert.match(differences[0]!, /^containerDefinitions\[sidecar\]: registered \{.*\}, this flow \(not set\)$/);
  });

  it("the content key changes with the content, not with the family or order", () => {
    const k1 = definitionContentKey(wanted);
    assert.equal(definitionContentKey({ ...wanted, family: "other" }), k1);
    assert.notEqual(definitionContentKey({ ...wanted, memory: "4GB" }), k1);
    assert.match(familyFor("My ETL flow!", wanted), /^sluice-my-etl-flow-[0-9a-f]{12}$/);
    assert.equal(familyFor("My ETL flow!", wanted), familyFor("My ETL flow!", described(wanted)));
    assert.equal(normalizeDefinition({ containerDefinitions: [] }).networkMode, "bridge");
  });
});

describe("planning a flow's task definition", () => {
  it("keeps per-run variables out of the shared definition and derives the family from the content", async () => {
    const { planTaskDefinition, splitRunEnv } = await import("../../../src/platforms/aws/fargate-launch.js");
    const { shared, perRun } = splitRunEnv({
      SLUICE__API__URL: "u",
      SLUICE__API__KEY: "secret-key",
      SLUICE__CONTEXT__FLOW_RUN_ID: "r1",
      SLUICE__CONTEXT__IMAGE: "img",
      SLUICE__LOGGING__LEVEL: "info",
    });
    assert.deepEqual(shared, { SLUICE__API__URL: "u", SLUICE__LOGGING__LEVEL: "info" });
    assert.deepEqual(perRun, { SLUICE__API__KEY: "secret-key", SLUICE__CONTEXT__FLOW_RUN_ID: "r1", SLUICE__CONTEXT__IMAGE: "img" });
    const options = splitFargateOptions({ memory: 1024 });
    const a = planTaskDefinition({ options, flowName: "ETL", image: "reg/etl:1", command, sharedEnv: shared });
    const b = planTaskDefinition({ options, flowName: "ETL", image: "reg/etl:1", command, sharedEnv: shared });
    const c = planTaskDefinition({ options, flowName: "ETL", image: "reg/etl:2", command, sharedEnv: shared });
    assert.equal(a.family, b.family, "runs of one flow version share a family");
    assert.notEqual(a.family, c.family, "a new image is a new family");
    assert.ok(!JSON.stringify(a).includes("secret-key"));
    const named = planTaskDefinition({ options: splitFargateOptions({ family: "etl" }), flowName: "ETL", image: "i", command, sharedEnv: {} });
    assert.equal(named.family, "etl");
  });
});
