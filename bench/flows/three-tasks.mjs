// W5's flow as plain JavaScript (the same three tasks as three-tasks.ts): measures `sluice run` without tsx.
import { flow, task } from "sluice";
const extract = task("extract", async () => [1, 2, 3]);
const transform = task("transform", async (xs) => xs.map((x) => x * 10));
const load = task("load", async (xs) => xs.reduce((a, b) => a + b, 0));
export const threeTasks = flow("three-tasks", () => load(transform(extract())));
