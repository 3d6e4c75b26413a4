/**
 * The seeds' Kubernetes Job example flow, built with the imperative API exactly as in Prefect:
 *
 *   output_value.set_upstream(get_value, flow=flow)
 *   output_value.bind(value=get_value, flow=flow)
 *
 * Its environment (a Kubernetes Job from job_spec.yaml) and storage (a Docker image) are attached
 * where those are deployed; the flow itself runs anywhere: `sluice run examples/seeds-two-task.ts`.
 */
import { flow, task } from "sluice";

export const getValue = task("get_value", async () => "Example!");

export const outputValue = task("output_value", async ({ value }: { value: string }, ctx) => {
  ctx.logger.info(value);
  console.log(value);
  return value;
});

export const seedsFlow = flow("Kubernetes Job Environment w/ Resource Requests & Limits");

// set task dependencies using the imperative API
seedsFlow.setUpstream(outputValue, getValue);
seedsFlow.bind(outputValue, { value: getValue });
