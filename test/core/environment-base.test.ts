import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flow, task, Environment, LocalEnvironment, SluiceError, deserializeEnvironment, createLogger, SLUICE_VERSION } from "sluice";
import type { EnvironmentFlow, ExecuteOptions, ExecuteResult, SerializedScalar } from "sluice";

const quiet = { logger: createLogger({ level: "silent" }), logLevel: "silent" as const };
const one = task("one", async () => 1);
const oneFlow = flow("env-base-one", {}, () => one());

class CustomEnv extends Environment {
  async execute(f: EnvironmentFlow, options?: ExecuteOptions): Promise<ExecuteResult> {
    return { kind: "finished", result: await this.run(f, options) };
  }
  protected override serializedFields(): Record<string, SerializedScalar> {
    return { secretSpec: "/etc/spec.yaml" };
  }
}

class ClusterLike extends CustomEnv {
  static readonly serializedType = "ClusterLikeEnvironment";
  constructor(private readonly declared: Record<string, unknown>) {
    super({});
  }
  protected override serializedFields(): Record<string, SerializedScalar> {
    return this.declared as Record<string, SerializedScalar>;
  }
}

class MyLocal extends LocalEnvironment {}

describe("Environment base class", () => {
  it("serializes a class Sluice does not know as CustomEnvironment with labels and metadata only", () => {
    const s = new CustomEnv({ labels: ["x"], metadata: { a: 1 } }).serialize();
    assert.deepEqual(s, { type: "CustomEnvironment", version: SLUICE_VERSION, labels: ["x"], metadata: { a: 1 } });
    assert.equal(new MyLocal().serialize().type, "CustomEnvironment", "a subclass of a known class is not that class");
  });

  it("carries the declared scalar fields of a known type, and rejects reserved or non-scalar ones", () => {
    assert.deepEqual(new ClusterLike({ minWorkers: 1, maxWorkers: 2, workStealing: true }).serialize(), {
      type: "ClusterLikeEnvironment",
      version: SLUICE_VERSION,
      labels: [],
      metadata: {},
      minWorkers: 1,
      maxWorkers: 2,
      workStealing: true,
    });
    assert.throws(() => new ClusterLike({ labels: "x" }).serialize(), /reserved field "labels"/);
    assert.throws(() => new ClusterLike({ spec: { kind: "Job" } }).serialize(), /must be scalars/);
  });

  it("rejects metadata that is not JSON, naming the path", () => {
    assert.throws(
      () => new LocalEnvironment({ metadata: { when: new Date() as never } }),
      (e: unknown) => e instanceof SluiceError && e.code === "INVALID_OPTION" && e.field === "metadata.when",
    );
    assert.throws(
      () => new LocalEnvironment({ metadata: [] as never }),
      (e: unknown) => e instanceof SluiceError && e.field === "metadata",
    );
  });

  it("copies metadata at construction and lets registration set it afterwards", () => {
    const given = { image: "a:1" };
    const env = new LocalEnvironment({ metadata: given });
    given.image = "changed";
    assert.equal(env.serialize().metadata.image, "a:1");
    env.metadata.image = "b:2";
    assert.equal(env.serialize().metadata.image, "b:2");
  });

  it("rejects hooks that are not functions with a TypeError", () => {
    assert.throws(() => new LocalEnvironment({ onStart: "x" as never }), TypeError);
    assert.throws(() => new LocalEnvironment({ onExit: 1 as never }), TypeError);
  });

  it("an onExit that throws fails a successful run; after a failure the first error wins", async () => {
    const exitError = new Error("cleanup failed");
    const env = new LocalEnvironment({
      onExit: () => {
        throw exitError;
      },
    });
    await assert.rejects(env.run(oneFlow, quiet), (e: unknown) => e === exitError);
    await assert.rejects(
      env.run(oneFlow, { ...quiet, parameters: { unknown: 1 } }),
      (e: unknown) => e instanceof SluiceError && e.code === "INVALID_PARAMETER",
    );
  });

  it("routes an unlabelled environment to any agent, a labelled one only to agents with all its labels", () => {
    assert.equal(new LocalEnvironment().routesTo([]), true);
    assert.equal(new LocalEnvironment({ labels: ["a", "b"] }).routesTo(["a"]), false);
    assert.equal(new LocalEnvironment({ labels: ["a", "b"] }).routesTo(new Set(["b", "a", "c"])), true);
  });

  it("deserializes any type into a stand-in that keeps its declared fields", () => {
    const s = new ClusterLike({ minWorkers: 1 }).serialize();
    const standIn = deserializeEnvironment(s);
    assert.equal(standIn.type, "ClusterLikeEnvironment");
    assert.deepEqual(standIn.fields, { minWorkers: 1 });
    assert.deepEqual(standIn.serialize(), s);
  });

  it("rejects a malformed serialized environment, naming the field", () => {
    const bad: [unknown, string][] = [
      [null, "(root)"],
      [{ version: "1", labels: [] }, "type"],
      [{ type: "X", labels: [] }, "version"],
      [{ type: "X", version: "1", labels: "a" }, "labels"],
      [{ type: "X", version: "1", labels: [], metadata: [] }, "metadata"],
    ];
    for (const [value, field] of bad) {
      assert.throws(
        () => deserializeEnvironment(value),
        (e: unknown) => e instanceof SluiceError && e.code === "INVALID_INPUT" && e.field === field,
        field,
      );
    }
  });
});
