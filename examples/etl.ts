/**
 * An ETL flow: extract a list of records, transform each one in a mapped task, load the total.
 * The load step fails its first attempt (as a flaky database would) and succeeds on retry.
 * Run it with `sluice run examples/etl.ts --param n=5`.
 */
import { z } from "zod";
import { flow, task, unmapped } from "sluice";

export interface Row {
  id: number;
  amount: number;
}

/** Extracts `n` rows. */
export const extract = task("extract", async (n: number): Promise<Row[]> => Array.from({ length: n }, (_, i) => ({ id: i + 1, amount: (i + 1) * 10 })));

/** Converts one row's amount with a rate; one child per row. */
export const transform = task("transform", async ({ row, rate }: { row: Row; rate: number }) => ({ id: row.id, amount: row.amount * rate }));

/** Loads the rows: the first attempt fails, the retry succeeds. Returns the total loaded. */
export const load = task(
  "load",
  async (rows: Row[], ctx) => {
    if (ctx.attempt === 1) throw new Error("database connection reset");
    ctx.logger.info(`loaded ${rows.length} rows`, { attempt: ctx.attempt });
    return rows.reduce((total, row) => total + row.amount, 0);
  },
  { retries: 2, retryDelayMs: 50 },
);

export const etl = flow(
  "etl",
  {
    description: "Extract, transform (mapped), load with a retry.",
    parameters: z.object({ n: z.number().int().min(0).default(3), rate: z.number().positive().default(1.5) }),
  },
  (p) => {
    const rows = extract(p.n);
    const converted = transform.map({ row: rows, rate: unmapped(p.rate) });
    return load(converted);
  },
);
