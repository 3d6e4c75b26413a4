/** Identifiers shaped like AWS's: 32-hex task ids, ARNs, request ids. */
import { randomBytes, randomUUID } from "node:crypto";

export const ACCOUNT_ID = "123456789012";

export const newTaskId = (): string => randomBytes(16).toString("hex");
export const newRequestId = (): string => randomUUID();

export interface Arns {
  region: string;
  cluster(name: string): string;
  task(cluster: string, id: string): string;
  container(cluster: string, taskId: string): string;
  taskDefinition(family: string, revision: number): string;
  callerArn: string;
}

export function arns(region: string): Arns {
  const base = `arn:aws:ecs:${region}:${ACCOUNT_ID}`;
  return {
    region,
    cluster: (name) => `${base}:cluster/${name}`,
    task: (cluster, id) => `${base}:task/${cluster}/${id}`,
    container: (cluster, taskId) => `${base}:container/${cluster}/${taskId}/${randomUUID()}`,
    taskDefinition: (family, revision) => `${base}:task-definition/${family}:${revision}`,
    callerArn: `arn:aws:iam::${ACCOUNT_ID}:user/ecs-standin`,
  };
}

/** The last part of an ARN ("family:3" of a task definition, the id of a task), or the value itself. */
export function shortName(value: string): string {
  if (!value.startsWith("arn:")) return value;
  const resource = value.split(":").slice(5).join(":");
  return resource.split("/").pop() ?? resource;
}
