/**
 * CloudWatch Logs as the stand-in needs it: log groups, streams and events, fed by the containers of
 * tasks whose log configuration uses the `awslogs` driver, read through GetLogEvents and
 * DescribeLogStreams with tokens that page forward and backward like the service's.
 */
import { AwsError } from "./errors.js";
import { ACCOUNT_ID } from "./ids.js";

interface LogEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
}

interface LogStream {
  name: string;
  creationTime: number;
  events: LogEvent[];
}

interface LogGroup {
  name: string;
  creationTime: number;
  streams: Map<string, LogStream>;
}

const groupMissing = () => new AwsError("ResourceNotFoundException", "The specified log group does not exist.");
const streamMissing = () => new AwsError("ResourceNotFoundException", "The specified log stream does not exist.");

export class LogsService {
  private readonly groups = new Map<string, LogGroup>();

  constructor(private readonly region: string) {}

  hasGroup(name: string): boolean {
    return this.groups.has(name);
  }

  createGroup(name: string): void {
    if (this.groups.has(name)) throw new AwsError("ResourceAlreadyExistsException", "The specified log group already exists");
    this.groups.set(name, { name, creationTime: Date.now(), streams: new Map() });
  }

  /** Appends one event per line to the stream, creating the stream if needed (the group must exist). */
  append(group: string, stream: string, text: string, at = Date.now()): void {
    const g = this.groups.get(group);
    if (!g) return;
    let s = g.streams.get(stream);
    if (!s) {
      s = { name: stream, creationTime: at, events: [] };
      g.streams.set(stream, s);
    }
    for (const line of text.split("\n")) if (line !== "") s.events.push({ timestamp: at, message: line, ingestionTime: Date.now() });
  }

  /** Every message of a stream (test helper). */
  messages(group: string, stream: string): string[] {
    return (
      this.groups
        .get(group)
        ?.streams.get(stream)
        ?.events.map((e) => e.message) ?? []
    );
  }

  handle(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case "CreateLogGroup":
        this.createGroup(input.logGroupName as string);
        return {};
      case "CreateLogStream": {
        const g = this.groups.get(input.logGroupName as string);
        if (!g) throw groupMissing();
        const name = input.logStreamName as string;
        if (g.streams.has(name)) throw new AwsError("ResourceAlreadyExistsException", "The specified log stream already exists");
        g.streams.set(name, { name, creationTime: Date.now(), events: [] });
        return {};
      }
      case "DescribeLogStreams":
        return this.describeStreams(input);
      case "GetLogEvents":
        return this.getEvents(input);
      default:
        throw new AwsError("UnknownOperationException", `the ECS stand-in does not implement Logs ${operation}`);
    }
  }

  private describeStreams(input: Record<string, unknown>): unknown {
    const g = this.groups.get(input.logGroupName as string);
    if (!g) throw groupMissing();
    const prefix = (input.logStreamNamePrefix as string | undefined) ?? "";
    let streams = [...g.streams.values()].filter((s) => s.name.startsWith(prefix));
    streams.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (input.descending === true) streams.reverse();
    const start = Number((input.nextToken as string | undefined) ?? 0);
    const limit = (input.limit as number | undefined) ?? 50;
    const page = streams.slice(start, start + limit);
    streams = page;
    return {
      logStreams: streams.map((s) => ({
        logStreamName: s.name,
        creationTime: s.creationTime,
        firstEventTimestamp: s.events[0]?.timestamp,
        lastEventTimestamp: s.events.at(-1)?.timestamp,
        lastIngestionTime: s.events.at(-1)?.ingestionTime,
        arn: `arn:aws:logs:${this.region}:${ACCOUNT_ID}:log-group:${g.name}:log-stream:${s.name}`,
      })),
      ...(start + limit < [...g.streams.values()].filter((s) => s.name.startsWith(prefix)).length ? { nextToken: String(start + limit) } : {}),
    };
  }

  private getEvents(input: Record<string, unknown>): unknown {
    const g = this.groups.get(input.logGroupName as string);
    if (!g) throw groupMissing();
    const s = g.streams.get(input.logStreamName as string);
    if (!s) throw streamMissing();
    const startTime = input.startTime as number | undefined;
    const endTime = input.endTime as number | undefined;
    const inRange = s.events
      .map((e, index) => ({ e, index }))
      .filter(({ e }) => (startTime === undefined || e.timestamp >= startTime) && (endTime === undefined || e.timestamp < endTime));
    const limit = Math.min((input.limit as number | undefined) ?? 10_000, 10_000);
    const token = input.nextToken as string | undefined;
    // Tokens: "f/<index>" continues forward from an event index, "b/<index>" backward before it.
    let forward = input.startFromHead === true;
    let from: number | undefined;
    if (token !== undefined) {
      const m = /^([fb])\/(\d+)$/.exec(token);
      if (!m) throw new AwsError("InvalidParameterException", "The specified nextToken is invalid.");
      forward = m[1] === "f";
      from = Number(m[2]);
    }
    let page: typeof inRange;
    if (forward) {
      const start = from ?? 0;
      page = inRange.filter(({ index }) => index >= start).slice(0, limit);
    } else {
      const end = from ?? Number.MAX_SAFE_INTEGER;
      const before = inRange.filter(({ index }) => index < end);
      page = before.slice(Math.max(0, before.length - limit));
    }
    const first = page[0]?.index ?? from ?? (forward ? 0 : s.events.length);
    const after = page.length > 0 ? page.at(-1)!.index + 1 : (from ?? (forward ? 0 : s.events.length));
    return {
      events: page.map(({ e }) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime })),
      nextForwardToken: `f/${after}`,
      nextBackwardToken: `b/${first}`,
    };
  }
}
