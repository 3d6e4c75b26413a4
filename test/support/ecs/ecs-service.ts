/**
 * The ECS operations the stand-in implements, with the service's own rules beyond the model's shapes
 * (Fargate's network mode, task size and execution role, container names, overrides naming unknown
 * containers, clusters that do not exist) and the defaults AWS fills into a registered definition
 * (revision, status, compatibilities, networkMode, essential, empty lists), so code that compares
 * definitions meets what it would meet on AWS.
 */
import { AwsError, clientException, invalidParameter } from "./errors.js";
import { arns, newTaskId, shortName, type Arns } from "./ids.js";
import { TaskRun, type Json, type TaskRunDeps } from "./task-run.js";

/** Faults the tests inject; never visible through the API. */
export interface EcsFaults {
  missingImages: Set<string>;
  /** The next N RunTask calls answer `failures` with this reason instead of starting tasks. */
  capacity: { remaining: number; reason?: string };
  /** The next N tasks stay in PROVISIONING until stopped. */
  stuckProvisioning: number;
  /** The next N RegisterTaskDefinition calls are throttled. */
  throttleRegister: number;
}

interface Registered {
  definition: Json;
  tags: Json[];
}

/** Task sizes Fargate accepts: cpu units → allowed memory (MiB). */
const FARGATE_SIZES: Record<string, number[]> = {
  "256": [512, 1024, 2048],
  "512": [1024, 2048, 3072, 4096],
  "1024": [2048, 3072, 4096, 5120, 6144, 7168, 8192],
  "2048": Array.from({ length: 13 }, (_, i) => 4096 + i * 1024),
  "4096": Array.from({ length: 23 }, (_, i) => 8192 + i * 1024),
};

const CONTAINER_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const FAMILY_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const now = () => Date.now() / 1000;

export class EcsService {
  readonly arns: Arns;
  readonly clusters = new Set<string>();
  readonly definitions = new Map<string, Registered[]>();
  readonly tasks = new Map<string, TaskRun>();
  private readonly tags = new Map<string, Json[]>();

  constructor(
    region: string,
    private readonly faults: EcsFaults,
    private readonly deps: Omit<TaskRunDeps, "stuck" | "missingImages">,
  ) {
    this.arns = arns(region);
  }

  handle(operation: string, input: Json): unknown {
    switch (operation) {
      case "RegisterTaskDefinition":
        return this.register(input);
      case "DescribeTaskDefinition":
        return this.describeDefinition(input);
      case "DeregisterTaskDefinition":
        return this.deregister(input);
      case "ListTaskDefinitions":
        return this.listDefinitions(input);
      case "RunTask":
        return this.runTask(input);
      case "DescribeTasks":
        return this.describeTasks(input);
      case "StopTask":
        return this.stopTask(input);
      case "ListTasks":
        return this.listTasks(input);
      case "TagResource":
        return this.tagResource(input);
      case "ListTagsForResource":
        return { tags: this.tags.get(input.resourceArn as string) ?? [] };
      default:
        throw new AwsError("UnknownOperationException", `the ECS stand-in does not implement ${operation}`);
    }
  }

  private clusterName(value: unknown): string {
    const name = shortName((value as string | undefined) ?? "default");
    if (!this.clusters.has(name)) throw new AwsError("ClusterNotFoundException", "Cluster not found.");
    return name;
  }

  /** "family", "family:3" or an ARN → the registered definition (latest ACTIVE for a bare family). */
  findDefinition(ref: string): Registered | undefined {
    const short = shortName(ref);
    const [family, revision] = short.split(":");
    const list = this.definitions.get(family!);
    if (!list) return undefined;
    if (revision !== undefined) return list[Number(revision) - 1];
    return [...list].reverse().find((r) => r.definition.status === "ACTIVE");
  }

  private register(input: Json): unknown {
    if (this.faults.throttleRegister > 0) {
      this.faults.throttleRegister--;
      throw new AwsError("ThrottlingException", "Too many concurrent attempts to create a new revision of the specified family.");
    }
    const family = input.family as string;
    if (!FAMILY_NAME.test(family))
      throw clientException("Family contains invalid characters. Up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.");
    const containers = input.containerDefinitions as Json[];
    if (containers.length === 0) throw clientException("Container list cannot be empty.");
    const fargate = ((input.requiresCompatibilities as string[] | undefined) ?? []).includes("FARGATE");
    const names = new Set<string>();
    for (const c of containers) {
      const name = c.name as string | undefined;
      if (!name || !CONTAINER_NAME.test(name))
        throw clientException(
          `Container name ${JSON.stringify(name ?? "")} is invalid: up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.`,
        );
      if (names.has(name)) throw clientException(`Duplicate container name ${name} in task definition.`);
      names.add(name);
      if (!c.image) throw clientException("Container.image should not be null or empty.");
      if (c.memory === undefined && c.memoryReservation === undefined && input.memory === undefined) {
        throw clientException(`Invalid setting for container '${name}'. At least one of 'memory' or 'memoryReservation' must be specified.`);
      }
      if ((c.logConfiguration as Json | undefined)?.logDriver === "awslogs" && fargate && !input.executionRoleArn) {
        throw clientException("Fargate requires task definition to have execution role ARN to support log driver awslogs.");
      }
      if ((c.secrets as Json[] | undefined)?.length && !input.executionRoleArn) {
        throw clientException("When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.");
      }
    }
    if (![...names].some((n) => containers.find((c) => c.name === n)!.essential !== false)) {
      throw clientException("Task definition must have at least one essential container.");
    }
    if (fargate) {
      if (input.networkMode !== "awsvpc") throw clientException("Fargate only supports network mode 'awsvpc'.");
      if (input.cpu === undefined) throw clientException("Fargate requires that 'cpu' be defined at the task level.");
      if (input.memory === undefined) throw clientException("Fargate requires that 'memory' be defined at the task level.");
      if (!FARGATE_SIZES[input.cpu as string]?.includes(Number(input.memory))) {
        throw clientException(
          `No Fargate configuration exists for given values: ${input.cpu as string} CPU, ${input.memory as string} memory. See the Amazon ECS documentation for the valid values.`,
        );
      }
    }
    const list = this.definitions.get(family) ?? [];
    const revision = list.length + 1;
    const { tags, ...body } = input;
    const definition: Json = {
      ...body,
      taskDefinitionArn: this.arns.taskDefinition(family, revision),
      revision,
      status: "ACTIVE",
      networkMode: input.networkMode ?? "bridge",
      containerDefinitions: containers.map((c) => ({
        cpu: 0,
        portMappings: [],
        essential: true,
        environment: [],
        mountPoints: [],
        volumesFrom: [],
        systemControls: [],
        ...c,
      })),
      volumes: input.volumes ?? [],
      placementConstraints: input.placementConstraints ?? [],
      compatibilities: fargate || input.networkMode === "awsvpc" ? ["EC2", "FARGATE"] : ["EC2"],
      requiresAttributes: [{ name: "com.amazonaws.ecs.capability.docker-remote-api.1.18" }],
      registeredAt: now(),
      registeredBy: this.arns.callerArn,
    };
    list.push({ definition, tags: (tags as Json[] | undefined) ?? [] });
    this.definitions.set(family, list);
    if (tags) this.tags.set(definition.taskDefinitionArn as string, tags as Json[]);
    return { taskDefinition: definition, tags: tags ?? [] };
  }

  private describeDefinition(input: Json): unknown {
    const found = this.findDefinition(input.taskDefinition as string);
    if (!found) throw clientException("Unable to describe task definition.");
    const withTags = ((input.include as string[] | undefined) ?? []).includes("TAGS");
    return { taskDefinition: found.definition, ...(withTags ? { tags: found.tags } : {}) };
  }

  private deregister(input: Json): unknown {
    const ref = shortName(input.taskDefinition as string);
    if (!ref.includes(":")) throw clientException("Revision is required.");
    const found = this.findDefinition(ref);
    if (!found) throw clientException("The specified task definition does not exist.");
    Object.assign(found.definition, { status: "INACTIVE", deregisteredAt: now() });
    return { taskDefinition: found.definition };
  }

  private listDefinitions(input: Json): unknown {
    const status = (input.status as string | undefined) ?? "ACTIVE";
    const prefix = (input.familyPrefix as string | undefined) ?? "";
    let all = [...this.definitions.entries()]
      .filter(([family]) => family.startsWith(prefix))
      .flatMap(([, list]) => list.map((r) => r.definition))
      .filter((d) => status === "ALL" || d.status === status)
      .map((d) => d.taskDefinitionArn as string)
      .sort();
    if (input.sort === "DESC") all = all.reverse();
    const start = Number((input.nextToken as string | undefined) ?? 0);
    const max = (input.maxResults as number | undefined) ?? 100;
    return { taskDefinitionArns: all.slice(start, start + max), ...(start + max < all.length ? { nextToken: String(start + max) } : {}) };
  }

  private runTask(input: Json): unknown {
    const cluster = this.clusterName(input.cluster);
    const found = this.findDefinition(input.taskDefinition as string);
    if (!found || found.definition.status !== "ACTIVE") throw clientException("TaskDefinition not found.");
    const def = found.definition;
    const launchType = (input.launchType as string | undefined) ?? "EC2";
    if (launchType === "FARGATE" && !(def.compatibilities as string[]).includes("FARGATE")) {
      throw invalidParameter("Task definition does not support launch_type FARGATE.");
    }
    const awsvpc = def.networkMode === "awsvpc";
    const net = (input.networkConfiguration as Json | undefined)?.awsvpcConfiguration as Json | undefined;
    if (awsvpc && !net) throw invalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
    if (!awsvpc && net) throw invalidParameter("Network Configuration is not valid for the given networkMode of this task definition.");
    if (net && (net.subnets as string[]).length === 0) throw invalidParameter("subnets can not be empty.");
    const overrides = (input.overrides as Json | undefined) ?? {};
    const containerNames = (def.containerDefinitions as Json[]).map((c) => c.name as string);
    for (const o of (overrides.containerOverrides as Json[] | undefined) ?? []) {
      if (!containerNames.includes(o.name as string))
        throw invalidParameter(`Override for container named ${o.name as string} is not a container in the TaskDefinition.`);
    }
    const count = (input.count as number | undefined) ?? 1;
    if (count < 1 || count > 10) throw invalidParameter("count must be between 1 and 10.");
    if (this.faults.capacity.remaining > 0) {
      this.faults.capacity.remaining--;
      const reason =
        this.faults.capacity.reason ??
        (launchType === "FARGATE" ? "Capacity is unavailable at this time. Please try again later or in a different availability zone" : "RESOURCE:MEMORY");
      const arn = launchType === "FARGATE" ? undefined : `${this.arns.cluster(cluster).replace(":cluster/", ":container-instance/")}/${newTaskId()}`;
      return { tasks: [], failures: Array.from({ length: count }, () => ({ ...(arn ? { arn } : {}), reason })) };
    }
    const tasks: Json[] = [];
    for (let i = 0; i < count; i++) {
      const id = newTaskId();
      const taskArn = this.arns.task(cluster, id);
      const task: Json = {
        taskArn,
        clusterArn: this.arns.cluster(cluster),
        taskDefinitionArn: def.taskDefinitionArn,
        lastStatus: "PROVISIONING",
        desiredStatus: "RUNNING",
        launchType,
        createdAt: now(),
        version: 1,
        cpu: def.cpu,
        memory: (overrides.memory as string | undefined) ?? def.memory,
        overrides: { containerOverrides: [], inferenceAcceleratorOverrides: [], ...overrides },
        containers: containerNames.map((name) => ({
          containerArn: this.arns.container(cluster, id),
          taskArn,
          name,
          image: (def.containerDefinitions as Json[]).find((c) => c.name === name)!.image,
          lastStatus: "PENDING",
          networkInterfaces: [],
        })),
        availabilityZone: `${this.arns.region}a`,
        ...(launchType === "FARGATE" ? { platformVersion: (input.platformVersion as string | undefined) ?? "1.4.0", platformFamily: "Linux" } : {}),
        ...(input.startedBy ? { startedBy: input.startedBy } : {}),
        ...(input.group ? { group: input.group } : { group: `family:${def.family as string}` }),
        tags: (input.tags as Json[] | undefined) ?? [],
        attachments: awsvpc
          ? [
              {
                id: newTaskId().slice(0, 8),
                type: "ElasticNetworkInterface",
                status: "PRECREATED",
                // Containers use the host network, so the task's address is this machine's loopback.
                details: [
                  { name: "subnetId", value: (net!.subnets as string[])[0] },
                  { name: "privateIPv4Address", value: "127.0.0.1" },
                ],
              },
            ]
          : [],
      };
      const stuck = this.faults.stuckProvisioning > 0;
      if (stuck) this.faults.stuckProvisioning--;
      this.tags.set(taskArn, task.tags as Json[]);
      const run = new TaskRun(task, def, overrides, { ...this.deps, stuck, missingImages: this.faults.missingImages });
      this.tasks.set(taskArn, run);
      tasks.push(task);
    }
    return { tasks: tasks.map((t) => this.view(t, true)), failures: [] };
  }

  /** A copy of the task as DescribeTasks answers it (tags only when asked for). */
  private view(task: Json, withTags: boolean): Json {
    const copy = structuredClone(task);
    if (!withTags) delete copy.tags;
    return copy;
  }

  private findTask(cluster: string, ref: string): TaskRun | undefined {
    if (ref.startsWith("arn:")) return this.tasks.get(ref);
    return this.tasks.get(this.arns.task(cluster, ref));
  }

  private describeTasks(input: Json): unknown {
    const cluster = this.clusterName(input.cluster);
    const withTags = ((input.include as string[] | undefined) ?? []).includes("TAGS");
    const tasks: Json[] = [];
    const failures: Json[] = [];
    for (const ref of input.tasks as string[]) {
      const run = this.findTask(cluster, ref);
      if (run) tasks.push(this.view(run.task, withTags));
      else failures.push({ arn: ref.startsWith("arn:") ? ref : this.arns.task(cluster, ref), reason: "MISSING" });
    }
    if ((input.tasks as string[]).length > 100) throw invalidParameter("Tasks cannot be more than 100.");
    return { tasks, failures };
  }

  private stopTask(input: Json): unknown {
    const cluster = this.clusterName(input.cluster);
    const run = this.findTask(cluster, input.task as string);
    if (!run) throw invalidParameter("The referenced task was not found.");
    run.stop((input.reason as string | undefined) ?? "Task stopped by user");
    return { task: this.view(run.task, false) };
  }

  private listTasks(input: Json): unknown {
    const cluster = this.clusterName(input.cluster);
    const desired = (input.desiredStatus as string | undefined) ?? "RUNNING";
    const family = input.family as string | undefined;
    const startedBy = input.startedBy as string | undefined;
    const all = [...this.tasks.values()]
      .map((r) => r.task)
      .filter((t) => shortName(t.clusterArn as string) === cluster)
      .filter((t) => t.desiredStatus === desired)
      .filter((t) => family === undefined || shortName(t.taskDefinitionArn as string).split(":")[0] === family)
      .filter((t) => startedBy === undefined || t.startedBy === startedBy)
      .map((t) => t.taskArn as string)
      // AWS documents no order; newest first here, so code that relies on start order shows it.
      .reverse();
    const start = Number((input.nextToken as string | undefined) ?? 0);
    const max = (input.maxResults as number | undefined) ?? 100;
    return { taskArns: all.slice(start, start + max), ...(start + max < all.length ? { nextToken: String(start + max) } : {}) };
  }

  private tagResource(input: Json): unknown {
    const arn = input.resourceArn as string;
    const run = this.tasks.get(arn);
    if (!run && !this.tags.has(arn)) throw new AwsError("ResourceNotFoundException", "The specified resource could not be found.");
    const current = new Map(((this.tags.get(arn) ?? []) as Json[]).map((t) => [t.key as string, t]));
    for (const t of input.tags as Json[]) current.set(t.key as string, t);
    const tags = [...current.values()];
    this.tags.set(arn, tags);
    if (run) run.task.tags = tags;
    return {};
  }
}
