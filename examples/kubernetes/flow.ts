/**
 * The seeds' "Kubernetes Job Environment w/ Resource Requests & Limits" example: the two-task flow built
 * with setUpstream and bind, run on a Kubernetes Job made from job_spec.yaml (flow-container, MY_ENV=foo,
 * cpu/memory requests and limits), its code in a Docker image.
 *
 *   sluice build examples/kubernetes/flow.ts        # builds and pushes 127.0.0.1:5000/k8s-job-flow:0.1.0
 *   sluice agent start kubernetes --namespace default
 *
 * The job spec travels inside the image, never to the server: DockerStorage copies the files the flow's
 * environment reads (`environment.imageFiles`) into the image at the same path.
 */
import { DockerStorage, KubernetesJobEnvironment, flow, task } from "sluice";

export const getValue = task("get_value", async () => "Example!");

export const outputValue = task("output_value", async ({ value }: { value: string }, ctx) => {
  ctx.logger.info(value);
  console.log(value);
  return value;
});

const environment = new KubernetesJobEnvironment({ jobSpecFile: new URL("./job_spec.yaml", import.meta.url) });

export const k8sJobFlow = flow("Kubernetes Job Environment w/ Resource Requests & Limits", {
  environment,
  storage: new DockerStorage({ registryUrl: "127.0.0.1:5000", imageName: "k8s-job-flow", imageTag: "0.1.0" }),
});

// set task dependencies using the imperative API
k8sJobFlow.setUpstream(outputValue, getValue);
k8sJobFlow.bind(outputValue, { value: getValue });
