/**
 * The README's quick start: the squares of 1..n, summed. A mapped task (one `square` per number) between
 * two plain ones. Run it with `sluice run examples/squares.ts --param n=10`.
 */
import { z } from "zod";
import { flow, task } from "sluice";

const range = task("range", async (n: number) => Array.from({ length: n }, (_, i) => i + 1));
const square = task("square", async (x: number) => x * x);
const sum = task("sum", async (xs: number[]) => xs.reduce((a, b) => a + b, 0));

export const squares = flow("squares", { parameters: z.object({ n: z.number().int().min(1).default(3) }) }, (p) => sum(square.map(range(p.n))));
