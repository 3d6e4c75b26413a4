/**
 * Registers a task definition only when no matching one exists: the family is described first; a
 * matching latest revision is reused; a differing one fails with the diff; a missing one is registered.
 * Concurrent callers in one process asking for the same content share one attempt (so twenty runs that
 * start at once register at most one revision), and registration retries with exponential backoff and
 * full jitter when ECS throttles it ("Too many concurrent attempts to create a new revision").
 */
import { setTimeout as sleep } from "node:timers/promises";
import { SluiceError } from "../../core/errors.js";
import { compareDefinitions, definitionContentKey, definitionMismatch } from "./definition-compare.js";
import { awsErrorName, type EcsApi, type Json } from "./ecs-client.js";

export interface RegistrarOptions {
  /** Registration attempts when throttled. @default 8 */
  attempts?: number;
  /** First backoff ceiling, doubled each attempt. @default 500 */
  baseDelayMs?: number;
  /** Largest backoff ceiling. @default 20000 */
  maxDelayMs?: number;
  /** Random source in [0, 1) for the jitter. @default Math.random */
  random?: () => number;
}

export interface RegisteredDefinition {
  /** ARN of the revision to run. */
  arn: string;
  /** The described or registered definition. */
  definition: Json;
  /** True when this call registered a new revision. */
  registered: boolean;
}

/** Whether ECS refused a registration for being too frequent. */
export function isThrottling(e: unknown): boolean {
  const name = awsErrorName(e);
  if (name === "ThrottlingException" || name === "TooManyRequestsException") return true;
  return name === "ClientException" && /too many concurrent attempts|rate exceeded/i.test((e as Error).message);
}

export class DefinitionRegistrar {
  private readonly inFlight = new Map<string, Promise<RegisteredDefinition>>();
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;

  constructor(
    private readonly api: EcsApi,
    options: RegistrarOptions = {},
  ) {
    this.attempts = options.attempts ?? 8;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 20_000;
    this.random = options.random ?? Math.random;
  }

  /** The revision to run for `definition` (which must name its family). */
  ensure(definition: Json): Promise<RegisteredDefinition> {
    const family = definition.family;
    if (typeof family !== "string" || family === "") throw new SluiceError("INTERNAL", "task definition without a family", { field: "family" });
    const key = `${family}/${definitionContentKey(definition)}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.describeOrRegister(family, definition).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** The backoff before retry `attempt` (0-based): uniform in [0, min(max, base * 2^attempt)). */
  delayFor(attempt: number): number {
    return Math.floor(this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** attempt));
  }

  private async describeOrRegister(family: string, definition: Json): Promise<RegisteredDefinition> {
    for (let attempt = 0; ; attempt++) {
      const existing = await this.api.describeTaskDefinition(family);
      if (existing) {
        const differences = compareDefinitions(existing, definition);
        if (differences.length > 0) throw definitionMismatch(family, existing.revision, differences);
        return { arn: existing.taskDefinitionArn as string, definition: existing, registered: false };
      }
      try {
        const registered = await this.api.registerTaskDefinition(definition);
        return { arn: registered.taskDefinitionArn as string, definition: registered, registered: true };
      } catch (e) {
        if (!isThrottling(e) || attempt + 1 >= this.attempts) {
          throw new SluiceError(
            "DEPLOY_FAILED",
            `RegisterTaskDefinition of family ${family} failed${isThrottling(e) ? ` after ${attempt + 1} throttled attempts` : ""}: ${awsErrorName(e)}: ${(e as Error).message}`,
            {
              field: "family",
              value: family,
              kind: "fargate-task",
              cause: e,
            },
          );
        }
        // Someone else may have registered the same content meanwhile: describe again after the wait.
        await sleep(this.delayFor(attempt));
      }
    }
  }
}
