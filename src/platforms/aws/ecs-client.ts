/**
 * The thin layer over the AWS SDK v3 clients (ECS and CloudWatch Logs): domain verbs with plain data in
 * and out. The SDK is imported inside `createEcsApi`, so nothing loads it until AWS is really used.
 * Credentials come from `resolveAwsAccess` (a redacted holder, or the SDK's default chain); `endpoint`
 * points both clients elsewhere (a local stand-in, a VPC endpoint).
 */
import type { RedactedCredentials } from "./credentials.js";

/** What the clients are built from. */
export interface EcsApiConfig {
  /** Region; the SDK's own resolution when undefined. @default undefined */
  region?: string;
  /** Static credentials; the SDK's default chain when undefined. @default undefined */
  credentials?: RedactedCredentials;
  /** Endpoint of both services (tests, VPC endpoints). @default undefined (AWS's) */
  endpoint?: string;
  /** Attempts per call, the SDK's own retries of transient errors included. @default 3 */
  maxAttempts?: number;
}

export type Json = Record<string, unknown>;

/** A described task, in the SDK's shape (plain data). */
export interface EcsTask {
  taskArn?: string;
  lastStatus?: string;
  desiredStatus?: string;
  stopCode?: string;
  stoppedReason?: string;
  createdAt?: Date;
  startedAt?: Date;
  stoppedAt?: Date;
  taskDefinitionArn?: string;
  containers?: { name?: string; exitCode?: number; reason?: string; lastStatus?: string }[];
  tags?: { key?: string; value?: string }[];
}

export interface EcsApi {
  /** The latest ACTIVE revision of a family (or a family:revision / ARN), or undefined when there is none. */
  describeTaskDefinition(taskDefinition: string): Promise<Json | undefined>;
  registerTaskDefinition(definition: Json): Promise<Json>;
  runTask(input: Json): Promise<{ tasks: EcsTask[]; failures: { arn?: string; reason?: string; detail?: string }[] }>;
  describeTask(cluster: string | undefined, taskArn: string): Promise<EcsTask | undefined>;
  stopTask(cluster: string | undefined, taskArn: string, reason: string): Promise<void>;
  /** Task ARNs of the cluster, filtered like ListTasks (all pages). */
  listTasks(cluster: string | undefined, filter: { startedBy?: string; family?: string; desiredStatus?: "RUNNING" | "PENDING" | "STOPPED" }): Promise<string[]>;
  /** The last `limit` messages of a CloudWatch log stream, oldest first; [] when the stream does not exist. */
  logTail(group: string, stream: string, limit: number): Promise<string[]>;
  /** Closes both clients' sockets. */
  close(): void;
}

/** The name of the error the SDK threw (`ThrottlingException`, `ClientException`...). */
export const awsErrorName = (e: unknown): string => (e as { name?: string }).name ?? "";

export async function createEcsApi(config: EcsApiConfig = {}): Promise<EcsApi> {
  const ecsSdk = await import("@aws-sdk/client-ecs");
  const logsSdk = await import("@aws-sdk/client-cloudwatch-logs");
  const held = config.credentials;
  const common = {
    ...(config.region ? { region: config.region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(held ? { credentials: async () => held.identity() } : {}),
    maxAttempts: config.maxAttempts ?? 3,
  };
  const ecs = new ecsSdk.ECSClient(common);
  const logs = new logsSdk.CloudWatchLogsClient(common);
  return {
    async describeTaskDefinition(taskDefinition) {
      try {
        const out = await ecs.send(new ecsSdk.DescribeTaskDefinitionCommand({ taskDefinition }));
        if (out.taskDefinition?.status !== "ACTIVE") return undefined;
        return out.taskDefinition as Json;
      } catch (e) {
        // ECS answers an unknown family with ClientException "Unable to describe task definition."
        if (awsErrorName(e) === "ClientException" && /unable to describe task definition/i.test((e as Error).message)) return undefined;
        throw e;
      }
    },
    async registerTaskDefinition(definition) {
      const out = await ecs.send(new ecsSdk.RegisterTaskDefinitionCommand(definition as never));
      return out.taskDefinition as Json;
    },
    async runTask(input) {
      const out = await ecs.send(new ecsSdk.RunTaskCommand(input as never));
      return { tasks: (out.tasks ?? []) as EcsTask[], failures: out.failures ?? [] };
    },
    async describeTask(cluster, taskArn) {
      const out = await ecs.send(new ecsSdk.DescribeTasksCommand({ ...(cluster ? { cluster } : {}), tasks: [taskArn], include: ["TAGS"] }));
      return out.tasks?.[0] as EcsTask | undefined;
    },
    async stopTask(cluster, taskArn, reason) {
      await ecs.send(new ecsSdk.StopTaskCommand({ ...(cluster ? { cluster } : {}), task: taskArn, reason: reason.slice(0, 255) }));
    },
    async listTasks(cluster, filter) {
      const arns: string[] = [];
      let nextToken: string | undefined;
      do {
        const out = await ecs.send(new ecsSdk.ListTasksCommand({ ...(cluster ? { cluster } : {}), ...filter, ...(nextToken ? { nextToken } : {}) }));
        arns.push(...(out.taskArns ?? []));
        nextToken = out.nextToken;
      } while (nextToken);
      return arns;
    },
    async logTail(group, stream, limit) {
      try {
        const out = await logs.send(new logsSdk.GetLogEventsCommand({ logGroupName: group, logStreamName: stream, limit, startFromHead: false }));
        return (out.events ?? []).map((e) => e.message ?? "");
      } catch (e) {
        if (awsErrorName(e) === "ResourceNotFoundException") return [];
        throw e;
      }
    },
    close() {
      ecs.destroy();
      logs.destroy();
    },
  };
}
