/**
 * The variables the cluster's containers take from ECS secrets: the `secrets` (name, `valueFrom` a Secrets
 * Manager or SSM ARN) of the first container definition given in the options, which the broker's and the
 * workers' definitions carry. ECS resolves them with the execution role when a task starts; the cluster
 * never sends those variables as values (RunTask overrides), where DescribeTasks would show them.
 */
import type { CompiledClusterOptions } from "./options.js";

export function secretVariables(options: Pick<CompiledClusterOptions, "aws">): Set<string> {
  return new Set((options.aws.taskDefinition.containerDefinitions?.[0]?.secrets ?? []).map((s) => s.name));
}
