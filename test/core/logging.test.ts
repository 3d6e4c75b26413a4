import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger, flow, task, type LoggerLevel, type RunEvent, type TaskContext } from "sluice";

/** A pino logger writing parsed JSON lines into an array. */
function capture(level: LoggerLevel) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level, destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  return { lines, logger };
}

const chatty = task("chatty", async (_: undefined, ctx: TaskContext) => {
  ctx.logger.debug("debug line", { d: 1 });
  ctx.logger.info("info line", { rows: 3 });
  ctx.logger.warn("warn line");
  ctx.logger.error({ code: 7 } as never, "pino order" as never);
  return "ok";
});
const f = flow("logging", () => chatty());

describe("logging", () => {
  it("creates pino loggers with a level, bindings and ISO times", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "warn", bindings: { component: "test" }, destination: { write: (l: string) => void lines.push(l) } });
    logger.info("hidden");
    logger.warn({ x: 1 }, "shown");
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(line.msg, "shown");
    assert.equal(line.level, 40);
    assert.equal(line.component, "test");
    assert.equal(line.x, 1);
    assert.match(String(line.time), /^\d{4}-\d\d-\d\dT/);
  });

  it("a silent logger stays silent through children, and logs once its level is raised", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "silent", bindings: { component: "quiet" }, destination: { write: (l: string) => void lines.push(l) } });
    assert.equal(logger.level, "silent");
    assert.equal(logger.isLevelEnabled("fatal"), false);
    const child = logger.child({ run: "r1" });
    child.error("hidden");
    logger.fatal("hidden too");
    assert.deepEqual(lines, []);
    logger.level = "info";
    logger.info({ n: 1 }, "now shown");
    logger.debug("still below the level");
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual([line.msg, line.component, line.n], ["now shown", "quiet", 1]);
  });

  it("writes task log lines with the run context, at or above the run's level", async () => {
    const { lines, logger } = capture("info");
    const result = await f.run({ logger });
    const taskLines = lines.filter((l) => l.taskName === "chatty");
    assert.deepEqual(
      taskLines.map((l) => l.msg),
      ["info line", "warn line", "pino order"],
    );
    const info = taskLines[0]!;
    assert.equal(info.flowRunId, result.flowRunId);
    assert.equal(info.taskRunId, result.taskRun("chatty")!.taskRunId);
    assert.equal(info.mapIndex, null);
    assert.equal(info.rows, 3);
    assert.equal(taskLines[2]!.code, 7, "pino's (fields, message) order is accepted too");
    assert.ok(lines.some((l) => l.flowRunId === result.flowRunId && /flow run Success/.test(String(l.msg))));
  });

  it("forwards LogRecords to observers, filtered by the run's level", async () => {
    const records: RunEvent[] = [];
    await f.run({ logger: capture("warn").logger, observers: [(e) => e.type === "log" && records.push(e)] });
    assert.deepEqual(
      records.map((e) => (e.type === "log" ? [e.record.level, e.record.message] : [])),
      [
        ["warn", "warn line"],
        ["error", "pino order"],
      ],
    );
    const all: RunEvent[] = [];
    await f.run({ logLevel: "debug", logger: capture("debug").logger, observers: [(e) => e.type === "log" && all.push(e)] });
    assert.equal(all.length, 4);
  });

  it("logs every state change at debug level", async () => {
    const { lines, logger } = capture("debug");
    await f.run({ logger });
    assert.deepEqual(
      lines.filter((l) => l.taskKey === "chatty").map((l) => l.state),
      ["Pending", "Running", "Success"],
    );
  });

  it("survives an observer that throws, and warns about it once", async () => {
    const { lines, logger } = capture("info");
    const result = await f.run({
      logger,
      observers: [
        () => {
          throw new Error("observer broke");
        },
      ],
    });
    assert.equal(result.state.name, "Success");
    assert.equal(lines.filter((l) => /observer threw/.test(String(l.msg))).length, 1);
  });
});
