/**
 * Hello, Sluice: three tasks in a chain. Run it with `sluice run examples/hello.ts`.
 */
import { z } from "zod";
import { flow, task } from "sluice";

/** Picks a greeting for the hour. */
export const greeting = task("greeting", async (hour: number) => (hour < 12 ? "Good morning" : "Hello"));

/** Builds the message. */
export const compose = task("compose", async ({ greeting, name }: { greeting: string; name: string }) => `${greeting}, ${name}!`);

/** Says it (in the run's logs) and returns it. */
export const say = task("say", async (message: string, ctx) => {
  ctx.logger.info(message);
  return message;
});

export const hello = flow(
  "hello",
  {
    description: "Greets someone.",
    parameters: z.object({ name: z.string().default("world"), hour: z.number().int().min(0).max(23).default(15) }),
  },
  (p) => say(compose({ greeting: greeting(p.hour), name: p.name })),
);
