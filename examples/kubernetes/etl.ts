/**
 * The README's Kubernetes example: a flow run on a Kubernetes Job made from job_spec.yaml (next to this
 * file), its code in a Docker image pushed to the registry the cluster pulls from.
 *
 *   sluice register examples/kubernetes/etl.ts --label k8s     # builds and pushes the image, registers the flow
 *   sluice agent start kubernetes --namespace flows --label k8s
 *   sluice flow-run create k8s-etl
 *
 * The job spec goes inside the image (DockerStorage copies the files the environment reads), never to
 * the server. `uniqueJobName` suffixes the spec's Job name per run, so runs never collide.
 */
import { DockerStorage, KubernetesJobEnvironment, flow, task } from "sluice";

/** Reads three numbered records. */
const extract = task("extract", async () => [1, 2, 3].map((id) => ({ id, amount: id * 10 })));

/** Writes the records (here: to the run's log) and returns their total. */
const load = task("load", async (rows: { id: number; amount: number }[], ctx) => {
  const total = rows.reduce((sum, row) => sum + row.amount, 0);
  ctx.logger.info(`loaded ${rows.length} rows`, { total });
  return total;
});

const environment = new KubernetesJobEnvironment({ jobSpecFile: new URL("./job_spec.yaml", import.meta.url), uniqueJobName: true });

export const k8sEtl = flow("k8s-etl", { environment, storage: new DockerStorage({ registryUrl: "127.0.0.1:5000", imageName: "k8s-etl" }) }, () =>
  load(extract()),
);
