/**
 * Build and push output for a terminal or a log: in a terminal, engine lines scroll and one progress
 * line at the bottom is redrawn in place (layers done, bytes sent); elsewhere, plain lines only, with
 * one line per layer status change instead of a line per byte update.
 */
import type { BuildOutput, BuildProgress } from "../core/storage.js";

export interface BuildOutputOptions {
  /** Where lines go. @default process.stderr */
  stream?: NodeJS.WritableStream;
  /** Redraw one progress line in place. @default false */
  interactive?: boolean;
  /** Prefix of every line, e.g. "[etl] ". @default "" */
  prefix?: string;
}

const mb = (bytes: number): string => `${(bytes / 1_000_000).toFixed(1)} MB`;

export function createBuildOutput(options: BuildOutputOptions = {}): BuildOutput & { done(): void } {
  const stream = options.stream ?? process.stderr;
  const prefix = options.prefix ?? "";
  const layers = new Map<string, BuildProgress>();
  let drawn = false;
  const clear = (): void => {
    if (drawn) stream.write("\r\u001b[2K");
    drawn = false;
  };
  const draw = (): void => {
    const all = [...layers.values()];
    if (all.length === 0) return;
    const finished = all.filter((p) => /^(Pushed|Layer already exists|Pull complete|Already exists|Download complete)$/.test(p.status)).length;
    const current = all.reduce((sum, p) => sum + (p.current ?? 0), 0);
    const total = all.reduce((sum, p) => sum + (p.total ?? 0), 0);
    const active = all.find((p) => p.current !== undefined && p.total !== undefined && p.current < p.total);
    const bytes = total > 0 ? `, ${mb(Math.min(current, total))} / ${mb(total)}` : "";
    stream.write(`\r\u001b[2K${prefix}${active?.status ?? "Working"}: ${finished}/${all.length} layers${bytes}`);
    drawn = true;
  };
  return {
    line(text: string): void {
      if (options.interactive) clear();
      stream.write(`${prefix}${text}\n`);
      if (options.interactive) draw();
    },
    progress(event: BuildProgress): void {
      const id = event.id ?? "";
      const before = layers.get(id);
      layers.set(id, { ...before, ...event });
      if (options.interactive) draw();
      else if (before?.status !== event.status) stream.write(`${prefix}${id ? `${id}: ` : ""}${event.status}\n`);
    },
    done(): void {
      if (options.interactive) clear();
      layers.clear();
    },
  };
}
