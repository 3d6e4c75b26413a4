/** W5's flow: three small tasks in a row, run as a whole `sluice run` process (cold start). */
import { flow, task } from "sluice";

const extract = task("extract", async () => [1, 2, 3]);
const transform = task("transform", async (xs: number[]) => xs.map((x) => x * 10));
const load = task("load", async (xs: number[]) => xs.reduce((a, b) => a + b, 0));

export const threeTasks = flow("three-tasks", () => load(transform(extract())));
