/**
 * `startEcsStandin()`: an Amazon ECS + CloudWatch Logs stand-in for tests. The real AWS SDK v3 clients
 * talk to it over HTTP (endpoint override, static credentials); every request is checked against the
 * official service models read from botocore at run time; tasks really run as Docker containers.
 * The test-only control API (faults, state, waits) lives on the returned object and is never reachable
 * through HTTP. See README.md.
 */
import Dockerode from "dockerode";
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { DockerRunner } from "./docker-runner.js";
import { EcsService, type EcsFaults } from "./ecs-service.js";
import type { Json, TaskRun, TaskTimings } from "./task-run.js";
import { LogsService } from "./logs-service.js";
import { loadServiceModels } from "./model.js";
import { startServer, type ReceivedRequest } from "./server.js";

export interface EcsStandinOptions {
  /** Region of ARNs and of the clients' configuration. @default "us-east-1" */
  region?: string;
  /** Clusters that exist from the start. @default ["default"] */
  clusters?: string[];
  /** Log groups that exist from the start. @default [] */
  logGroups?: string[];
  /** Secret values by ARN, resolved for `secrets[].valueFrom`. @default {} */
  secrets?: Record<string, string>;
  /** When set, only these access key ids are accepted (others: UnrecognizedClientException). @default undefined (any) */
  acceptedAccessKeyIds?: string[];
  /** Docker engine socket. @default "/var/run/docker.sock" */
  dockerSocket?: string;
  /** Registry Docker may pull `<registry>/...` images from. @default "127.0.0.1:5000" */
  registry?: string;
  /** Lifecycle delays. @default { provisioningMs: 30, deprovisioningMs: 30, stopTimeoutMs: 2000 } */
  timings?: Partial<TaskTimings>;
}

export interface EcsStandin {
  /** `http://127.0.0.1:<port>`: the `endpoint` of both clients. */
  readonly endpoint: string;
  readonly region: string;
  /** Static credentials the clients can use (any key id is accepted unless `acceptedAccessKeyIds` is set). */
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  /** `{ endpoint, region, credentials }` for `new ECSClient(...)` / `new CloudWatchLogsClient(...)`. */
  readonly clientConfig: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  /** Every request, in order, with the answer's status and error type. */
  readonly received: ReceivedRequest[];
  /** Files the models were read from. */
  readonly modelFiles: { ecs: string; logs: string };
  createCluster(name: string): void;
  createLogGroup(name: string): void;
  /**
   * The access key id of the task role credentials a task's containers were given (a task whose definition
   * or overrides name a `taskRoleArn`), once they asked for them; requests signed with it are accepted.
   */
  taskRoleAccessKeyId(taskArn: string): string | undefined;
  /** Every task (DescribeTasks' form, with tags), in start order. */
  tasks(): Json[];
  task(arnOrId: string): Json | undefined;
  /** Every registered revision of a family (DescribeTaskDefinition's form). */
  definitions(family: string): Json[];
  /** A container's output so far, whatever its log driver. */
  output(taskArn: string, container?: string): string;
  /** The messages of a CloudWatch log stream. */
  logMessages(group: string, stream: string): string[];
  /** Resolves with the first truthy value of `predicate`, re-checked on every change; rejects after `timeoutMs`. */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  /** Resolves once the task is STOPPED. */
  stopped(taskArn: string, timeoutMs?: number): Promise<Json>;
  readonly faults: {
    /** Pulls of this image fail with CannotPullContainerError (whether or not it exists) until the returned function is called. */
    missingImage(image: string): () => void;
    /** The next `times` RunTask calls answer `failures` (Fargate: "Capacity is unavailable...", EC2: RESOURCE:MEMORY). */
    capacity(times?: number, reason?: string): void;
    /** The next `times` tasks stay in PROVISIONING until stopped. */
    stuckInProvisioning(times?: number): void;
    /** The next `times` RegisterTaskDefinition calls answer ThrottlingException. */
    throttleRegister(times?: number): void;
    /** Kills a running container as the OOM killer: exit 137, OutOfMemoryError. */
    oomKill(taskArn: string, container?: string): Promise<void>;
  };
  /** Stops every task's containers and the server. */
  close(): Promise<void>;
}

export async function startEcsStandin(options: EcsStandinOptions = {}): Promise<EcsStandin> {
  const loaded = loadServiceModels();
  if ("reason" in loaded) throw new Error(`ECS stand-in: ${loaded.reason}`);
  const { models } = loaded;
  const region = options.region ?? "us-east-1";
  const timings: TaskTimings = { provisioningMs: 30, deprovisioningMs: 30, stopTimeoutMs: 2000, ...options.timings };
  const instanceId = randomBytes(4).toString("hex");
  const docker = new Dockerode({ socketPath: options.dockerSocket ?? "/var/run/docker.sock" });
  const runner = new DockerRunner(docker, instanceId, options.registry ?? "127.0.0.1:5000");
  const logs = new LogsService(region);
  for (const g of options.logGroups ?? []) logs.createGroup(g);
  const listeners = new Set<() => void>();
  const changed = () => {
    for (const l of [...listeners]) l();
  };
  const faults: EcsFaults = { missingImages: new Set(), capacity: { remaining: 0 }, stuckProvisioning: 0, throttleRegister: 0 };
  // Task role credentials, by task id: handed out on the container credentials endpoint, then accepted.
  const roleCredentials = new Map<string, { roleArn: string; accessKeyId: string; secretAccessKey: string; token: string; asked: boolean }>();
  const accepted = options.acceptedAccessKeyIds ? [...options.acceptedAccessKeyIds] : undefined;
  let endpoint = "";
  const ecs = new EcsService(region, faults, {
    // Real ECS gives a path on 169.254.170.2 (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI); the stand-in's tasks
    // share the host's network, so they get the stand-in's own address (the SDK accepts a loopback one).
    taskRoleCredentialsUri: (taskId, roleArn) => {
      if (!roleCredentials.has(taskId)) {
        const accessKeyId = `ASIA${taskId.slice(0, 16).toUpperCase()}`;
        roleCredentials.set(taskId, {
          roleArn,
          accessKeyId,
          secretAccessKey: randomBytes(20).toString("hex"),
          token: randomBytes(32).toString("base64"),
          asked: false,
        });
        accepted?.push(accessKeyId);
      }
      return `${endpoint}/v2/credentials/${taskId}`;
    },
    runner,
    logs,
    timings,
    region,
    secrets: new Map(Object.entries(options.secrets ?? {})),
    namePrefix: `ecs-standin-${instanceId}`,
    changed,
  });
  for (const c of options.clusters ?? ["default"]) ecs.clusters.add(c);
  const received: ReceivedRequest[] = [];
  const { server, url } = await startServer({
    received,
    acceptedAccessKeyIds: accepted,
    taskCredentials: (taskId) => {
      const c = roleCredentials.get(taskId);
      if (!c) return undefined;
      c.asked = true;
      return {
        RoleArn: c.roleArn,
        AccessKeyId: c.accessKeyId,
        SecretAccessKey: c.secretAccessKey,
        Token: c.token,
        Expiration: new Date(Date.now() + 6 * 3600_000).toISOString(),
      };
    },
    backends: {
      ecs: { model: models.ecs, namespace: "com.amazonaws.ecs.v20141113", handle: (op, input) => ecs.handle(op, input) },
      logs: { model: models.logs, namespace: "com.amazonaws.logs.v20140328", handle: (op, input) => logs.handle(op, input) },
    },
  });
  endpoint = url;
  const findRun = (ref: string): TaskRun | undefined => ecs.tasks.get(ref) ?? [...ecs.tasks.values()].find((r) => r.id === ref);
  const waitFor = <T>(predicate: () => T | undefined | null | false, timeoutMs = 30_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        let value: T | undefined | null | false;
        try {
          value = predicate();
        } catch (e) {
          finish();
          reject(e as Error);
          return;
        }
        if (value) {
          finish();
          resolve(value);
        }
      };
      const poll = setInterval(check, 100);
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`ECS stand-in: condition not met within ${timeoutMs} ms`));
      }, timeoutMs);
      const finish = () => {
        clearInterval(poll);
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  const credentials = { accessKeyId: "AKIAECSSTANDIN000001", secretAccessKey: "ecs-standin-secret-key" };
  return {
    endpoint: url,
    region,
    credentials,
    clientConfig: { endpoint: url, region, credentials },
    received,
    modelFiles: { ecs: models.ecs.file, logs: models.logs.file },
    createCluster: (name) => void ecs.clusters.add(name),
    createLogGroup: (name) => logs.createGroup(name),
    taskRoleAccessKeyId: (ref) => {
      const run = findRun(ref);
      const c = run ? roleCredentials.get(run.id) : undefined;
      return c?.asked ? c.accessKeyId : undefined;
    },
    tasks: () => [...ecs.tasks.values()].map((r) => structuredClone(r.task)),
    task: (ref) => {
      const run = findRun(ref);
      return run ? structuredClone(run.task) : undefined;
    },
    definitions: (family) => (ecs.definitions.get(family) ?? []).map((r) => structuredClone(r.definition)),
    output: (ref, container) => {
      const run = findRun(ref);
      if (!run) return "";
      return run.output.get(container ?? ((run.task.containers as Json[])[0]!.name as string)) ?? "";
    },
    logMessages: (group, stream) => logs.messages(group, stream),
    waitFor,
    stopped: (ref, timeoutMs) =>
      waitFor(() => {
        const run = findRun(ref);
        return run?.task.lastStatus === "STOPPED" ? structuredClone(run.task) : undefined;
      }, timeoutMs),
    faults: {
      missingImage: (image) => {
        faults.missingImages.add(image);
        return () => void faults.missingImages.delete(image);
      },
      capacity: (times = 1, reason) => {
        faults.capacity = { remaining: times, ...(reason ? { reason } : {}) };
      },
      stuckInProvisioning: (times = 1) => {
        faults.stuckProvisioning = times;
      },
      throttleRegister: (times = 1) => {
        faults.throttleRegister = times;
      },
      oomKill: async (ref, container) => {
        const run = findRun(ref);
        if (!run) throw new Error(`ECS stand-in: no task ${ref}`);
        await run.oomKill(container);
      },
    },
    close: async () => {
      for (const run of ecs.tasks.values()) run.stop("ECS stand-in closed");
      await Promise.race([Promise.all([...ecs.tasks.values()].map((r) => r.done)), new Promise((r) => setTimeout(r, 5000))]);
      await runner.close();
      listeners.clear();
      await new Promise<void>((resolve) => (server as Server).close(() => resolve()));
      server.closeAllConnections();
    },
  };
}
