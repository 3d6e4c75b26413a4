/**
 * The README's Docker example: an ETL flow whose code lives in a Docker image (DockerStorage) and whose
 * runs happen in a container of that image (DockerEnvironment).
 *
 *   sluice build examples/etl-docker.ts                            # → 127.0.0.1:5000/etl:v1
 *   sluice run examples/etl-docker.ts --environment docker         # builds (or reuses) the image, runs it
 *   sluice run examples/etl-docker.ts --environment docker --image 127.0.0.1:5000/etl:v1
 *
 * `imageName` and `imageTag` choose the image's name: without them it is the flow's name and a UTC
 * timestamp tag (printed by `sluice build`). The image starts FROM `node:20-slim` unless the
 * configuration says otherwise (`SLUICE__DOCKER__BASE_IMAGE`); on a machine that cannot pull it, point
 * that variable at a local image, such as the one `bash scripts/services.sh start` builds.
 */
import { z } from "zod";
import { DockerEnvironment, DockerStorage, flow, task } from "sluice";

/** Reads `n` numbered records. */
const extract = task("extract", async (n: number) => Array.from({ length: n }, (_, i) => ({ id: i + 1, amount: (i + 1) * 10 })));

/** Converts every amount to cents. */
const transform = task("transform", async (rows: { id: number; amount: number }[]) => rows.map((row) => ({ ...row, cents: row.amount * 100 })));

/** Writes the rows (here: to the run's log) and returns how many were written. */
const load = task("load", async (rows: { id: number; cents: number }[], ctx) => {
  ctx.logger.info(`loaded ${rows.length} rows`, { total: rows.reduce((sum, row) => sum + row.cents, 0) });
  return rows.length;
});

export const etl = flow(
  "etl",
  {
    parameters: z.object({ n: z.number().int().min(0).default(3) }),
    storage: new DockerStorage({ registryUrl: "127.0.0.1:5000", imageName: "etl", imageTag: "v1" }),
    environment: new DockerEnvironment({ labels: ["docker"] }),
  },
  (p) => load(transform(extract(p.n))),
);
