/**
 * Container logs as the kubelet keeps them: timestamped lines per container instance, served with the
 * options of `GET pods/{name}/log` (follow, tailLines, sinceSeconds, sinceTime, timestamps, limitBytes).
 */
import type { ServerResponse } from "node:http";
import type { OpenStream } from "../listWatch.js";
import { badRequest } from "../status.js";

interface Line {
  at: number;
  text: string;
}

export interface LogQuery {
  follow: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceMs?: number;
  limitBytes?: number;
}

export function logQueryFrom(params: URLSearchParams): LogQuery {
  const num = (k: string) => {
    const v = params.get(k);
    if (v === null || v === "" || v === "false") return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw badRequest(`invalid value for ${k}: ${JSON.stringify(v)}`);
    return n;
  };
  const sinceSeconds = num("sinceSeconds");
  const sinceTime = params.get("sinceTime");
  if (sinceSeconds !== undefined && sinceTime) throw badRequest("at most one of `sinceTime` or `sinceSeconds` may be specified");
  let sinceMs: number | undefined;
  if (sinceSeconds !== undefined) sinceMs = Date.now() - sinceSeconds * 1000;
  if (sinceTime) {
    sinceMs = Date.parse(sinceTime);
    if (Number.isNaN(sinceMs)) throw badRequest(`invalid value for sinceTime: ${JSON.stringify(sinceTime)}`);
  }
  return {
    follow: params.get("follow") === "true",
    timestamps: params.get("timestamps") === "true",
    tailLines: num("tailLines"),
    sinceMs,
    limitBytes: num("limitBytes"),
  };
}

function nanoTimestamp(at: number): string {
  return new Date(at).toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z");
}

/** The output of one container instance. */
export class LogBuffer {
  private readonly lines: Line[] = [];
  private partial = "";
  private ended = false;
  private readonly followers = new Set<(line: Line | null) => void>();

  write(chunk: Buffer | string): void {
    if (this.ended) return;
    const parts = (this.partial + chunk.toString()).split("\n");
    this.partial = parts.pop() ?? "";
    for (const text of parts) this.push({ at: Date.now(), text });
  }

  end(): void {
    if (this.ended) return;
    if (this.partial) this.push({ at: Date.now(), text: this.partial });
    this.partial = "";
    this.ended = true;
    for (const f of [...this.followers]) f(null);
    this.followers.clear();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** All output so far as text. */
  text(): string {
    return this.lines.map((l) => l.text + "\n").join("") + this.partial;
  }

  private push(line: Line): void {
    this.lines.push(line);
    for (const f of this.followers) f(line);
  }

  /** Writes the selected lines to `res`; with `follow`, keeps writing until the container ends. */
  serve(q: LogQuery, res: ServerResponse): OpenStream | undefined {
    let budget = q.limitBytes ?? Infinity;
    const format = (l: Line) => (q.timestamps ? `${nanoTimestamp(l.at)} ` : "") + l.text + "\n";
    let selected = this.lines.filter((l) => q.sinceMs === undefined || l.at >= q.sinceMs);
    if (q.tailLines !== undefined) selected = q.tailLines === 0 ? [] : selected.slice(-q.tailLines);
    res.writeHead(200, { "Content-Type": "text/plain", "Cache-Control": "no-cache, private" });
    const write = (l: Line) => {
      if (budget <= 0) return false;
      let s = format(l);
      if (Buffer.byteLength(s) > budget) s = Buffer.from(s).subarray(0, budget).toString();
      budget -= Buffer.byteLength(s);
      res.write(s);
      return budget > 0;
    };
    for (const l of selected) if (!write(l)) break;
    if (!q.follow || this.ended || budget <= 0) {
      if (!q.follow && this.partial && budget > 0) res.write(this.partial);
      res.end();
      return undefined;
    }
    res.flushHeaders();
    const follower = (line: Line | null) => {
      if (line === null || !write(line)) end();
    };
    const end = () => {
      this.followers.delete(follower);
      if (!res.writableEnded) res.end();
    };
    this.followers.add(follower);
    res.on("close", end);
    return { end };
  }
}
