/**
 * The agent deployer conformance suite, which every agent kind's deployer passes. Each kind's test calls
 * it with a factory and what the kind launches from:
 *
 * ```ts
 * runDeployerConformance("docker", {
 *   create: () => createDockerDeployer({ config, logger, followedTypes: new Set(["DockerEnvironment"]) }),
 *   needsImage: true,
 *   refuses: "KubernetesJobEnvironment",
 *   runs: "DockerEnvironment",
 * });
 * ```
 *
 * It checks what the Deployer contract promises whatever the kind, without launching anything: the
 * deployer names its kind; its optional hooks are functions; closing it with nothing launched resolves,
 * again and again; a run whose environment the kind does not run is refused (DEPLOY_FAILED naming
 * environment.type) before anything starts; and a run from an image whose flow names none fails its
 * deploy (DEPLOY_FAILED naming environment.metadata.image) with what to do. No call reaches the server.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Deployer, DeployContext } from "../agents/deployer.js";
import { createClient, type ClaimedFlowRun } from "../client/index.js";
import { defaultConfig } from "../config/defaults.js";
import type { SluiceConfig } from "../config/schema.js";
import { SluiceError } from "../core/errors.js";
import { createLogger } from "../core/logger.js";
import { SLUICE_VERSION } from "../core/version.js";

export interface DeployerConformanceOptions {
  /** Creates the deployer under test (its factory with a configuration that reaches no service is enough). */
  create: () => Deployer | Promise<Deployer>;
  /** The serialized environment type of a run this kind runs, e.g. "DockerEnvironment". */
  runs: string;
  /** The kind launches runs from an image, so a run whose flow names none must fail its deploy. @default false */
  needsImage?: boolean;
  /** A serialized environment type this kind does not run, whose runs it refuses. @default undefined (the kind runs every type) */
  refuses?: string;
  /** The configuration the deploy context carries. @default the configuration's defaults */
  config?: () => SluiceConfig;
  /** Per-test time limit in ms. @default 20000 */
  timeoutMs?: number;
}

let runs = 0;

/** A claimed run as the server hands it to an agent, of a flow with `environmentType` and, optionally, an image. */
export function claimedRun(environmentType: string, image?: string): ClaimedFlowRun {
  const now = new Date().toISOString();
  const id = `conformance-run-${process.pid}-${++runs}`;
  const metadata = image === undefined ? {} : { image };
  return {
    flowRun: {
      id,
      flowId: "conformance-flow",
      flowName: "deployer-conformance",
      flowVersion: 1,
      name: null,
      parameters: {},
      labels: [],
      state: { name: "Submitted", timestamp: now },
      version: 1,
      scheduledStart: now,
      createdAt: now,
      updatedAt: now,
      startedAt: null,
      endedAt: null,
      agentId: "conformance-agent",
      heartbeatAt: null,
      cancelRequested: false,
      resurrections: 0,
      scheduleId: null,
      idempotencyKey: null,
    },
    flow: {
      id: "conformance-flow",
      name: "deployer-conformance",
      version: 1,
      environment: { type: environmentType, version: SLUICE_VERSION, labels: [], metadata },
      storage: { type: "ModuleStorage", version: SLUICE_VERSION, flows: { "deployer-conformance": "conformance-package" }, module: "conformance-package" },
      parameterSchema: {},
      parameterDefaults: {},
      taskGraph: { tasks: [] },
      description: null,
      labels: [],
      contentHash: "0".repeat(64),
      createdAt: now,
    },
  };
}

/** A deploy context whose server cannot be reached: the checks fail before any call, and the log lines are kept. */
function offlineContext(kind: string, config: SluiceConfig): DeployContext & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    client: createClient({ url: "http://127.0.0.1:9", retry: { attempts: 1 } }),
    config,
    agent: { id: "conformance-agent", name: `${kind}-conformance`, kind, labels: [] },
    logger: createLogger({ level: "silent" }),
    runEnv: () => ({}),
    failRun: async (_id, message) => void lines.push(`failRun: ${message}`),
    logRun: async (_id, level, message) => void lines.push(`${level}: ${message}`),
  };
}

/** Registers the conformance tests (node:test) of an agent kind's deployer. */
export function runDeployerConformance(kind: string, options: DeployerConformanceOptions): void {
  describe(`deployer conformance: ${kind}`, { timeout: options.timeoutMs ?? 20_000 }, () => {
    it("names its kind, and its optional hooks are functions", async () => {
      const deployer = await options.create();
      assert.equal(deployer.kind, kind);
      assert.equal(typeof deployer.deploy, "function");
      for (const hook of ["manage", "prepare", "close"] as const) {
        assert.ok(deployer[hook] === undefined || typeof deployer[hook] === "function", `${hook} is a function when present`);
      }
      await deployer.close?.({ stopRuns: true });
    });

    it("closing it with nothing launched resolves, with or without stopping runs, and again", async () => {
      const deployer = await options.create();
      await deployer.close?.({ stopRuns: false });
      await deployer.close?.({ stopRuns: true });
      await deployer.close?.({ stopRuns: true });
    });

    if (options.refuses !== undefined) {
      const refused = options.refuses;
      it("refuses a run whose environment it does not run, naming environment.type, before launching anything", async () => {
        const deployer = await options.create();
        const run = claimedRun(refused, "conformance/image:1");
        try {
          await assert.rejects(
            deployer.deploy(run, offlineContext(kind, options.config?.() ?? defaultConfig())),
            (e: unknown) =>
              e instanceof SluiceError && e.code === "DEPLOY_FAILED" && e.field === "environment.type" && e.value === refused && e.flowRunId === run.flowRun.id,
          );
        } finally {
          await deployer.close?.({ stopRuns: true });
        }
      });
    }

    if (options.needsImage) {
      it("fails the deploy of a run whose flow names no image, naming environment.metadata.image and what to do", async () => {
        const deployer = await options.create();
        const run = claimedRun(options.runs);
        try {
          await assert.rejects(
            deployer.deploy(run, offlineContext(kind, options.config?.() ?? defaultConfig())),
            (e: unknown) =>
              e instanceof SluiceError &&
              e.code === "DEPLOY_FAILED" &&
              e.field === "environment.metadata.image" &&
              e.flowRunId === run.flowRun.id &&
              /register it with DockerStorage|metadata\.image/.test(e.message),
          );
        } finally {
          await deployer.close?.({ stopRuns: true });
        }
      });
    }
  });
}
