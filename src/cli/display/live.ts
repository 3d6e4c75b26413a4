/**
 * The live display of `sluice run` in a terminal: the frame from renderFrame, redrawn in place at most
 * every `intervalMs`, with log records and failures printed above it as they come, and the summary
 * at the end. Only this file writes escape sequences; everything it draws comes from the pure renderers.
 */
import type { RunEvent, RunObserver } from "../../core/events.js";
import { FAILED_STATES } from "../../core/states.js";
import { plainLines } from "./plain.js";
import type { RunProgress } from "./progress.js";
import { fit, renderFrame, renderSummary } from "./render.js";

export interface LiveDisplayOptions {
  /** The terminal. @default process.stdout */
  stream?: NodeJS.WriteStream;
  /** Least time between two redraws, in ms. @default 100 */
  intervalMs?: number;
  /** Running task runs listed by name. @default 5 */
  maxRunning?: number;
  /** ANSI colours. @default true */
  color?: boolean;
  /** Failures of task runs printed above the frame before the rest are left to the summary. @default 20 */
  maxFailureLines?: number;
}

const HIDE_CURSOR = "\x1b[?25l";
const SHOW_CURSOR = "\x1b[?25h";

export class LiveDisplay {
  readonly #progress: RunProgress;
  readonly #stream: NodeJS.WriteStream;
  readonly #intervalMs: number;
  readonly #maxRunning: number;
  readonly #color: boolean;
  readonly #maxFailureLines: number;
  #above: string[] = [];
  #frameLines = 0;
  #failureLines = 0;
  #dirty = true;
  #timer: NodeJS.Timeout | undefined;
  readonly #restoreCursor = (): void => {
    this.#stream.write(SHOW_CURSOR);
  };

  constructor(progress: RunProgress, options: LiveDisplayOptions = {}) {
    this.#progress = progress;
    this.#stream = options.stream ?? process.stdout;
    this.#intervalMs = options.intervalMs ?? 100;
    this.#maxRunning = options.maxRunning ?? 5;
    this.#color = options.color ?? true;
    this.#maxFailureLines = options.maxFailureLines ?? 20;
  }

  /** Give this to the run's observers. */
  readonly observer: RunObserver = (event: RunEvent) => {
    this.#dirty = true;
    if (event.type === "log") {
      this.#above.push(...plainLines(this.#progress, event));
      return;
    }
    const view = this.#progress.apply(event);
    if (view && FAILED_STATES.has(view.state.name) && this.#failureLines < this.#maxFailureLines) {
      this.#failureLines++;
      const why = view.state.error?.message ?? view.state.message ?? "";
      this.#above.push(
        `${view.state.name} ${view.mapIndex === null ? view.taskKey : `${view.taskKey}[${view.mapIndex}]`}${why ? `: ${why.split("\n")[0]}` : ""}`,
      );
    }
  };

  start(): void {
    this.#stream.write(HIDE_CURSOR);
    process.once("exit", this.#restoreCursor);
    this.#draw();
    this.#timer = setInterval(() => this.#draw(), this.#intervalMs);
    this.#timer.unref();
  }

  #erase(): string {
    return this.#frameLines > 0 ? `\x1b[${this.#frameLines}F\x1b[0J` : "";
  }

  #draw(): void {
    if (!this.#dirty && this.#progress.running.size === 0) return;
    this.#dirty = false;
    const width = this.#stream.columns || 80;
    const frame = renderFrame(this.#progress, Date.now(), { width, maxRunning: this.#maxRunning, color: this.#color });
    const above = this.#above.map((l) => `${fit(l, width)}\n`).join("");
    this.#above = [];
    this.#stream.write(`${this.#erase()}${above}${frame.join("\n")}\n`);
    this.#frameLines = frame.length;
  }

  /** Stops redrawing, replaces the frame with the summary and `extra` lines (unless `summary` is false) and shows the cursor again. */
  stop(summary = true, extra: readonly string[] = []): void {
    clearInterval(this.#timer);
    const above = this.#above.map((l) => `${l}\n`).join("");
    this.#above = [];
    const lines = summary ? [...renderSummary(this.#progress, { color: this.#color }), ...extra].map((l) => `${l}\n`).join("") : "";
    this.#stream.write(`${this.#erase()}${above}${lines}${SHOW_CURSOR}`);
    this.#frameLines = 0;
    process.removeListener("exit", this.#restoreCursor);
  }
}
