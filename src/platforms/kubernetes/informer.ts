/**
 * An informer: a local copy of one kind of object (e.g. the Jobs with a label, in one namespace), kept
 * current by a watch instead of listing again and again.
 *
 * It lists once, then watches from the list's resourceVersion with bookmarks allowed. Every ADDED,
 * MODIFIED or DELETED event updates the copy (keyed by uid) and calls `onChange`; every event, bookmarks
 * included, moves the resourceVersion it would resume from. A watch the server ends (its timeout, a
 * restart) is opened again from that resourceVersion, without listing. Listing again is needed when the
 * server no longer has the history to resume from (an ERROR event with a 410 Expired Status): then at once;
 * and after a failed watch or list: then after a back-off that doubles up to a maximum. A list replaces the
 * copy wholesale, so nothing the watch missed is lost or kept twice.
 *
 * The informer knows nothing of the API client: an `InformerSource` lists and watches for it.
 */
import { SluiceError } from "../../core/errors.js";

/** The part of a Kubernetes object an informer reads. */
export interface InformedObject {
  metadata?: { uid?: string; name?: string; namespace?: string; resourceVersion?: string };
}

/** A complete list, and the resourceVersion it was read at (a watch from there misses nothing). */
export interface ListedObjects<T> {
  items: T[];
  resourceVersion: string;
}

/** The query of one watch request. */
export interface WatchQuery {
  /** Stream the changes after this resourceVersion. */
  resourceVersion: string;
  /** Ask for BOOKMARK events (resourceVersion only), so a quiet watch still resumes from a recent point. */
  allowWatchBookmarks: true;
  /** The server ends the watch after this many seconds. */
  timeoutSeconds: number;
}

/** A watch request in flight. */
export interface OpenWatch {
  abort(): void;
}

/** How an informer reaches the API server. */
export interface InformerSource<T> {
  /** What is watched, for messages (e.g. "Jobs (sluice.io/identifier) in namespace flows"). */
  readonly description: string;
  /** Lists every object (all pages), with the list's resourceVersion. */
  list(): Promise<ListedObjects<T>>;
  /**
   * Opens a watch: `onEvent` gets each event's type (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR) and object;
   * `onEnd` is called once, with null when the stream ended, or the error that ended it (or refused it).
   */
  watch(query: WatchQuery, onEvent: (type: string, object: unknown) => void, onEnd: (error: unknown) => void): Promise<OpenWatch>;
}

export interface InformerOptions<T extends InformedObject = InformedObject> {
  /**
   * How long each watch request lasts on the server before it is opened again, in seconds; each request
   * adds a random part of up to the same again, so many informers do not renew together.
   * @default 300
   */
  watchTimeoutSeconds?: number;
  /**
   * A watch that sends nothing at all (not even a bookmark) for this long past its timeout is taken for a
   * dead connection: it is aborted and the informer lists again.
   * @default 30_000
   */
  stallMarginMs?: number;
  /** The first wait after a failed list or watch; it doubles with each failure in a row. @default 500 */
  backoffInitialMs?: number;
  /** The longest wait after failures. @default 30_000 */
  backoffMaxMs?: number;
  /**
   * Applied to each listed or watched object before it is kept, e.g. to keep only the fields that are read
   * (a namespace's events are many). @default undefined (objects are kept as received)
   */
  transform?(object: T): T;
  /** Called after each change of the local copy. @default undefined */
  onChange?: () => void;
  /** Called with each failed list or watch (the informer retries it after the back-off). @default undefined */
  onError?: (error: unknown) => void;
}

/** What an informer did so far (for tests and measurements). */
export interface InformerStats {
  /** Lists made (the first one included). */
  lists: number;
  /** Watch requests opened. */
  watches: number;
  /** Watches answered with 410 Expired. */
  expired: number;
  /** Lists and watches that failed. */
  failures: number;
}

/** The resourceVersion the server said is too old: a Status with code 410. */
function isExpired(object: unknown): boolean {
  const status = object as { code?: unknown; reason?: unknown } | null;
  return status !== null && typeof status === "object" && (status.code === 410 || status.reason === "Expired" || status.reason === "Gone");
}

function keyOf(object: InformedObject): string | undefined {
  const m = object.metadata;
  return m?.uid ?? (m?.name !== undefined ? `${m.namespace ?? ""}/${m.name}` : undefined);
}

type WatchEnd = { kind: "ended"; events: number } | { kind: "expired" } | { kind: "failed"; error: unknown };

export class Informer<T extends InformedObject> {
  readonly #source: InformerSource<T>;
  readonly #options: Required<Pick<InformerOptions, "watchTimeoutSeconds" | "stallMarginMs" | "backoffInitialMs" | "backoffMaxMs">> & InformerOptions<T>;
  readonly #cache = new Map<string, T>();
  #resourceVersion: string | undefined;
  #state: "new" | "running" | "stopped" = "new";
  #open: OpenWatch | undefined;
  /** Ends the current back-off wait early (on stop). */
  #interrupt: (() => void) | undefined;
  #lastError: unknown;
  readonly stats: InformerStats = { lists: 0, watches: 0, expired: 0, failures: 0 };

  constructor(source: InformerSource<T>, options: InformerOptions<T> = {}) {
    this.#source = source;
    this.#options = { watchTimeoutSeconds: 300, stallMarginMs: 30_000, backoffInitialMs: 500, backoffMaxMs: 30_000, ...options };
    for (const key of ["watchTimeoutSeconds", "stallMarginMs", "backoffInitialMs", "backoffMaxMs"] as const) {
      const value = this.#options[key];
      if (!Number.isFinite(value) || value <= 0) {
        throw new SluiceError(
          "INVALID_OPTION",
          `informer option ${key} must be a positive number of ${key.endsWith("Seconds") ? "seconds" : "milliseconds"}, got ${String(value)}`,
          {
            field: key,
            value,
          },
        );
      }
    }
  }

  /** What is watched. */
  get description(): string {
    return this.#source.description;
  }

  /** The resourceVersion a watch would resume from; undefined before the first list and while listing again. */
  get resourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  /** The last failure of a list or watch, until a list or watch succeeds again. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /** The objects as last seen, in no particular order. */
  list(): T[] {
    return [...this.#cache.values()];
  }

  /**
   * Lists, then keeps watching in the background until `stop()`. Rejects with the first list's error
   * (and stays stopped): a caller learns at once that the objects cannot be read at all.
   */
  async start(): Promise<void> {
    if (this.#state !== "new") throw new SluiceError("INTERNAL", `the informer of ${this.description} was already started`);
    this.#state = "running";
    try {
      await this.#relist();
    } catch (error) {
      this.#state = "stopped";
      throw error;
    }
    void this.#loop();
  }

  /** Ends the watch; the copy keeps its last content. */
  stop(): void {
    this.#state = "stopped";
    this.#open?.abort();
    this.#interrupt?.();
  }

  async #loop(): Promise<void> {
    let failures = 0;
    while (this.#state === "running") {
      if (this.#resourceVersion === undefined) {
        try {
          await this.#relist();
        } catch (error) {
          failures += 1;
          this.#failed(error);
          await this.#pause(failures);
          continue;
        }
      }
      const startedAt = Date.now();
      const end = await this.#watchOnce(this.#resourceVersion!);
      if (this.#state !== "running") break;
      if (end.kind === "expired") {
        // The history no longer reaches back to our resourceVersion: list again, at once the first time.
        this.stats.expired += 1;
        this.#resourceVersion = undefined;
        failures += 1;
        if (failures > 1) await this.#pause(failures - 1);
      } else if (end.kind === "failed") {
        failures += 1;
        this.#failed(end.error);
        this.#resourceVersion = undefined;
        await this.#pause(failures);
      } else if (end.events === 0 && Date.now() - startedAt < 1_000) {
        // Ended at once with nothing in it: do not spin on a server that closes every watch.
        failures += 1;
        await this.#pause(failures);
      } else {
        failures = 0;
      }
    }
  }

  #failed(error: unknown): void {
    this.stats.failures += 1;
    this.#lastError = error;
    this.#options.onError?.(error);
  }

  /** Waits the back-off for `failures` failures in a row (ended early by stop). */
  async #pause(failures: number): Promise<void> {
    if (this.#state !== "running") return;
    const { backoffInitialMs, backoffMaxMs } = this.#options;
    const delay = Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.min(failures - 1, 30));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      timer.unref();
      this.#interrupt = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#interrupt = undefined;
  }

  /** Lists and replaces the copy with the list; calls onChange when anything differs. */
  async #relist(): Promise<void> {
    this.stats.lists += 1;
    const listed = await this.#source.list();
    if (this.#state !== "running") return;
    const next = new Map<string, T>();
    const transform = this.#options.transform;
    for (const item of listed.items) {
      const key = keyOf(item);
      if (key !== undefined) next.set(key, transform ? transform(item) : item);
    }
    let changed = next.size !== this.#cache.size;
    for (const [key, item] of next) {
      if (this.#cache.get(key)?.metadata?.resourceVersion !== item.metadata?.resourceVersion) changed = true;
    }
    this.#cache.clear();
    for (const [key, item] of next) this.#cache.set(key, item);
    this.#resourceVersion = listed.resourceVersion;
    this.#lastError = undefined;
    if (changed) this.#options.onChange?.();
  }

  /** One watch request from `resourceVersion`, applied to the copy as its events come; resolves when it ends. */
  #watchOnce(resourceVersion: string): Promise<WatchEnd> {
    this.stats.watches += 1;
    const { watchTimeoutSeconds, stallMarginMs } = this.#options;
    const timeoutSeconds = watchTimeoutSeconds + Math.floor(Math.random() * watchTimeoutSeconds);
    return new Promise<WatchEnd>((resolve) => {
      let events = 0;
      let result: WatchEnd | undefined;
      let stall: NodeJS.Timeout | undefined;
      const finish = (end: WatchEnd): void => {
        if (result !== undefined) return;
        result = end;
        clearTimeout(stall);
        this.#open?.abort();
        this.#open = undefined;
        resolve(end);
      };
      // Any event (a bookmark too) shows the connection is alive; nothing for the whole timeout and a
      // margin means the server or the network dropped it without closing it.
      const armStall = (ms: number): void => {
        clearTimeout(stall);
        stall = setTimeout(
          () => finish({ kind: "failed", error: new Error(`the watch of ${this.description} sent nothing for ${Math.round(ms / 1000)} s`) }),
          ms,
        );
        stall.unref();
      };
      armStall(timeoutSeconds * 1000 + stallMarginMs);
      const onEvent = (type: string, object: unknown): void => {
        if (result !== undefined) return;
        events += 1;
        armStall(timeoutSeconds * 1000 + stallMarginMs);
        if (type === "ERROR") {
          if (isExpired(object)) finish({ kind: "expired" });
          else finish({ kind: "failed", error: watchStatusError(this.description, object) });
          return;
        }
        const item = object as T;
        const version = item?.metadata?.resourceVersion;
        if (type === "BOOKMARK") {
          if (version) this.#resourceVersion = version;
          return;
        }
        const key = keyOf(item);
        if (key === undefined) return;
        if (type === "ADDED" || type === "MODIFIED") this.#cache.set(key, this.#options.transform ? this.#options.transform(item) : item);
        else if (type === "DELETED") this.#cache.delete(key);
        else return;
        if (version) this.#resourceVersion = version;
        this.#lastError = undefined;
        this.#options.onChange?.();
      };
      const onEnd = (error: unknown): void => {
        if (error === null || error === undefined || (error as { name?: unknown }).name === "AbortError") finish({ kind: "ended", events });
        else if (isExpired(error) || (error as { statusCode?: unknown }).statusCode === 410) finish({ kind: "expired" });
        else finish({ kind: "failed", error });
      };
      this.#source
        .watch({ resourceVersion, allowWatchBookmarks: true, timeoutSeconds }, onEvent, onEnd)
        .then((open) => {
          if (result !== undefined) open.abort();
          else this.#open = open;
        })
        .catch((error: unknown) => finish({ kind: "failed", error }));
    });
  }
}

/** An ERROR event other than 410: the Status it holds, as an error that says which watch it ended. */
function watchStatusError(description: string, object: unknown): Error {
  const status = (object ?? {}) as { code?: unknown; reason?: unknown; message?: unknown };
  const parts = [typeof status.message === "string" ? status.message : "no message"];
  if (typeof status.reason === "string") parts.push(`reason: ${status.reason}`);
  if (typeof status.code === "number") parts.push(`HTTP ${status.code}`);
  return new Error(`the watch of ${description} ended with an error: ${parts.join(", ")}`);
}
