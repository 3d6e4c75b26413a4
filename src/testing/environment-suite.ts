/**
 * The environment conformance suite, which every environment kind passes. Each kind's test file calls it:
 *
 * ```ts
 * runEnvironmentConformance("local", {
 *   type: "LocalEnvironment",
 *   create: (options) => new LocalEnvironment(options),
 *   execute: { flow: myFlow, parameters: { n: 2 }, value: 4 },
 * });
 * ```
 *
 * It checks the common options (labels as a sorted set, metadata default {}, executor TypeError), what
 * `serialize()` may and may not carry, the deserialized stand-in (routes, cannot run), the exact hook
 * semantics of `run()` (onStart, the environment's executor, errors logged and re-thrown, onExit in a
 * finally, no onExit after a failed onStart), and, when given a flow that the kind can launch here, that
 * `execute()` runs it to its result, or, for kinds that launch elsewhere, that it resolves "launched".
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { z } from "zod";
import { deserializeEnvironment, type Environment, type EnvironmentOptions, type ExecuteOptions } from "../core/environment.js";
import { SluiceError } from "../core/errors.js";
import type { RunEvent } from "../core/events.js";
import type { Executor, JsonObject } from "../core/executor.js";
import { flow, type AnyFlow } from "../core/flow.js";
import { createLogger } from "../core/logger.js";
import { task } from "../core/task.js";
import { SLUICE_VERSION } from "../core/version.js";
import { LocalExecutor } from "../executors/local/index.js";

export interface EnvironmentConformanceOptions {
  /** The serialized type of the kind, e.g. "LocalEnvironment". */
  type: string;
  /** Creates the environment with the common options (plus whatever else the kind needs). */
  create: (options: EnvironmentOptions) => Environment;
  /** Declared scalar fields `serialize()` must carry, e.g. { minWorkers: 1 } for the defaults. @default {} */
  fields?: Record<string, string | number | boolean | null>;
  /**
   * A flow the kind can launch here, to check `execute()`: it must end Success with `value` (or pass
   * `check(value)`). Omit for kinds that cannot launch on this machine (their own tests cover execute).
   */
  execute?: { flow: AnyFlow; parameters?: Record<string, unknown>; value?: unknown; check?: (value: unknown) => void; options?: ExecuteOptions };
  /**
   * For kinds whose `execute()` launches the run elsewhere (a Job, a task) and resolves "launched": a flow
   * and the options to launch it with (read when the test runs, so they may name a service started in a
   * `before` hook). The suite checks that `execute()` resolves "launched" with a description and JSON
   * resources, then calls `check` with them. @default undefined (not checked)
   */
  launch?: {
    flow: AnyFlow;
    /** The execute options, e.g. `() => ({ config, flowRunId })`. */
    options: () => ExecuteOptions;
    /** Options of the launching environment besides the common ones, e.g. `{ metadata: { image } }`. @default {} */
    environment?: EnvironmentOptions;
    /** Checks what was launched, e.g. that the stand-in holds a Job labelled with the run's id. @default none */
    check?: (launched: { description: string; resources: JsonObject; options: ExecuteOptions }) => void | Promise<void>;
  };
  /**
   * The kind always chooses its own executor (a worker cluster's distributed executor): the suite checks
   * that an `executor` option is refused naming the field, and gives `run()` its executor through the run
   * options instead of the environment's. @default false
   */
  ownExecutor?: boolean;
  /**
   * Why `run()` cannot be checked in this process (e.g. it starts a worker cluster first); its tests are
   * then reported as skipped with this reason. @default undefined (run() is checked)
   */
  runSkipReason?: string;
  /** Per-test time limit in ms. @default 20000 */
  timeoutMs?: number;
}

/** An executor that counts the sessions it starts, around the local executor. */
export class CountingExecutor implements Executor {
  readonly kind = "counting";
  readonly maxConcurrency = 1;
  sessions = 0;
  readonly #inner = new LocalExecutor();

  start(options: Parameters<Executor["start"]>[0]): ReturnType<Executor["start"]> {
    this.sessions++;
    return this.#inner.start(options);
  }

  describe(): { kind: string; options: JsonObject } {
    return { kind: this.kind, options: {} };
  }
}

/** Records the order of hook calls and task starts. */
function probe() {
  const calls: string[] = [];
  const step = task("conformance-step", async (n: number) => {
    calls.push("task");
    return n * 2;
  });
  const probeFlow = flow("environment-conformance", { parameters: z.object({ n: z.number().default(1) }) }, (p) => step(p.n));
  return { calls, probeFlow };
}

const quiet = { logger: createLogger({ level: "silent" }), logLevel: "silent" as const };

/** Registers the conformance tests (node:test) of an environment kind. */
export function runEnvironmentConformance(name: string, options: EnvironmentConformanceOptions): void {
  const timeout = options.timeoutMs ?? 20_000;
  const create = options.create;

  describe(`environment conformance: ${name}`, { timeout }, () => {
    it("stores labels as a set and serializes them sorted; metadata defaults to {}", () => {
      const env = create({ labels: ["zeta", "alpha", "zeta", "mid"] });
      assert.deepEqual([...env.labels].sort(), ["alpha", "mid", "zeta"]);
      const s = env.serialize();
      assert.deepEqual(s.labels, ["alpha", "mid", "zeta"]);
      assert.deepEqual(create({}).serialize().metadata, {});
      assert.deepEqual(create({}).serialize().labels, []);
    });

    it("rejects labels that are not a list of non-empty strings, naming the field", () => {
      for (const labels of ["docker", [""], [3]]) {
        assert.throws(
          () => create({ labels: labels as never }),
          (e: unknown) => e instanceof SluiceError && e.field === "labels",
        );
      }
    });

    if (options.ownExecutor) {
      it("refuses every executor at construction, naming the field (the kind chooses its own executor)", () => {
        for (const executor of ["local", {}, 42, new CountingExecutor()]) {
          assert.throws(
            () => create({ executor: executor as never }),
            (e: unknown) => e instanceof TypeError || (e instanceof SluiceError && e.field === "executor"),
          );
        }
      });
    } else {
      it("rejects an executor that is not an Executor with a TypeError at construction", () => {
        for (const executor of ["local", {}, { kind: "x" }, 42]) {
          assert.throws(() => create({ executor: executor as never }), TypeError);
        }
        assert.doesNotThrow(() => create({ executor: new CountingExecutor() }));
      });
    }
    const ownExecutor = (executor: Executor): { executor?: Executor } => (options.ownExecutor ? {} : { executor });

    it("serializes type, version, sorted labels, metadata and declared scalars only: no executor, no callbacks", () => {
      const env = create({
        labels: ["b", "a"],
        metadata: { image: "x:1", nested: { k: [1, 2] } },
        ...ownExecutor(new CountingExecutor()),
        onStart: () => undefined,
        onExit: () => undefined,
      });
      const s = env.serialize();
      assert.deepEqual(
        Object.keys(s).sort(),
        ["labels", "metadata", "type", "version", ...Object.keys(options.fields ?? {})].sort(),
        "only the allowed keys are serialized",
      );
      assert.equal(s.type, options.type);
      assert.equal(s.version, SLUICE_VERSION);
      assert.deepEqual(s.metadata, { image: "x:1", nested: { k: [1, 2] } });
      for (const [key, value] of Object.entries(options.fields ?? {})) assert.equal(s[key], value, `declared field ${key}`);
      const text = JSON.stringify(s);
      assert.deepEqual(JSON.parse(text), s, "the serialized form is plain JSON");
      assert.doesNotMatch(text, /counting|onStart|onExit|executor/i);
    });

    it("deserializes into a stand-in that routes by labels but cannot run", async () => {
      const env = create({ labels: ["gpu", "docker"], metadata: { image: "img:1" } });
      const standIn = deserializeEnvironment(JSON.parse(JSON.stringify(env.serialize())));
      assert.equal(standIn.type, options.type);
      assert.deepEqual(standIn.serialize(), env.serialize());
      assert.equal(standIn.routesTo(["docker", "gpu", "extra"]), true);
      assert.equal(standIn.routesTo(["docker"]), false);
      const { probeFlow } = probe();
      for (const attempt of [() => standIn.run(probeFlow), () => standIn.execute(probeFlow), () => standIn.setup(probeFlow)]) {
        await assert.rejects(
          attempt(),
          (e: unknown) => e instanceof SluiceError && e.code === "ENVIRONMENT_ERROR" && /load the real flow from its storage/i.test(e.message),
        );
      }
    });

    const skip = options.runSkipReason;
    it("run(): onStart, then the flow with the environment's executor, then onExit", { skip }, async () => {
      const { calls, probeFlow } = probe();
      const executor = new CountingExecutor();
      const env = create({ ...ownExecutor(executor), onStart: () => void calls.push("onStart"), onExit: async () => void calls.push("onExit") });
      const given = options.ownExecutor ? { executor } : {};
      const result = await env.run(probeFlow, { parameters: { n: 21 }, ...given, ...quiet });
      assert.equal(result.state.name, "Success");
      assert.equal(result.value, 42);
      assert.deepEqual(calls, ["onStart", "task", "onExit"]);
      assert.equal(executor.sessions, 1, "the run used the environment's executor");
    });

    it("run(): an onStart that throws fails the run with that error, and onExit is not called", { skip }, async () => {
      const { calls, probeFlow } = probe();
      const boom = new Error("cannot start");
      const events: RunEvent[] = [];
      const env = create({
        onStart: () => {
          throw boom;
        },
        onExit: () => void calls.push("onExit"),
      });
      await assert.rejects(env.run(probeFlow, { observers: [(e) => events.push(e)], ...quiet }), (e: unknown) => e === boom);
      assert.deepEqual(calls, [], "neither the task nor onExit ran");
      const failed = events.find((e) => e.type === "flow-run-state");
      assert.equal(failed?.type === "flow-run-state" && failed.state.name, "Failed");
      assert.match(failed?.type === "flow-run-state" ? (failed.state.message ?? "") : "", /cannot start/);
    });

    it("run(): an error of the flow runner is logged, re-thrown, and onExit still runs", { skip }, async () => {
      const { calls, probeFlow } = probe();
      const events: RunEvent[] = [];
      const env = create({ onExit: () => void calls.push("onExit") });
      await assert.rejects(
        env.run(probeFlow, { parameters: { n: "not a number" }, observers: [(e) => events.push(e)], ...quiet }),
        (e: unknown) => e instanceof SluiceError && e.code === "INVALID_PARAMETER",
      );
      assert.deepEqual(calls, ["onExit"]);
      assert.ok(
        events.some((e) => e.type === "log" && e.record.level === "error" && /not a number|expected number/i.test(e.record.message)),
        "the error was logged",
      );
    });

    it("run(): a failed flow run is a result, not an exception, and onExit runs", { skip }, async () => {
      const calls: string[] = [];
      const broken = task("conformance-broken", async () => {
        throw new Error("task failed on purpose");
      });
      const failing = flow("environment-conformance-failing", {}, () => broken());
      const env = create({ onExit: () => void calls.push("onExit") });
      const result = await env.run(failing, { ...(options.ownExecutor ? { executor: new LocalExecutor() } : {}), ...quiet });
      assert.equal(result.state.name, "Failed");
      assert.deepEqual(calls, ["onExit"]);
    });

    if (options.execute) {
      const spec = options.execute;
      it("execute(): launches the flow and resolves with its result", async () => {
        const env = create({ labels: ["conformance"] });
        const events: RunEvent[] = [];
        const outcome = await env.execute(spec.flow, { ...spec.options, parameters: spec.parameters ?? {}, observers: [(e) => events.push(e)], ...quiet });
        assert.equal(outcome.kind, "finished");
        if (outcome.kind !== "finished") return;
        assert.equal(outcome.result.state.name, "Success", outcome.result.state.message);
        if (spec.check) spec.check(outcome.result.value);
        else assert.deepEqual(outcome.result.value, spec.value);
        assert.ok(
          events.some((e) => e.type === "task-run-state" && e.state.name === "Success"),
          "observers saw task states",
        );
        assert.equal(events.filter((e) => e.type === "flow-run-state").at(-1)?.type === "flow-run-state", true);
      });
    }

    if (options.launch) {
      const spec = options.launch;
      it('execute(): launches the flow elsewhere and resolves "launched", naming what it created', async () => {
        const env = create({ labels: ["conformance"], ...spec.environment });
        const executeOptions = { ...spec.options(), ...quiet };
        const outcome = await env.execute(spec.flow, executeOptions);
        assert.equal(outcome.kind, "launched");
        if (outcome.kind !== "launched") return;
        assert.ok(outcome.description.length > 0, "a description for humans");
        assert.ok(Object.keys(outcome.resources).length > 0, "the resources it created are named");
        assert.deepEqual(JSON.parse(JSON.stringify(outcome.resources)), outcome.resources, "resources are plain JSON");
        await spec.check?.({ description: outcome.description, resources: outcome.resources, options: executeOptions });
      });
    }
  });
}
