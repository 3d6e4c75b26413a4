/**
 * Lists (with `labelSelector`, `fieldSelector`, `limit`/`continue` paging) and watches the way the API
 * server serves them: a stream of newline-delimited `{"type","object"}` events (ADDED, MODIFIED, DELETED,
 * and BOOKMARK when `allowWatchBookmarks=true`), resumable from a resourceVersion, an ERROR event holding
 * a 410 Expired Status when that resourceVersion is too old, closed after `timeoutSeconds`.
 *
 * The API server serves most watches from its watch cache, which sends the bookmarks. Events are the
 * exception: their watch cache is off by default (they are many and short-lived), so their watches come
 * straight from etcd, which sends no bookmark at all (`allowWatchBookmarks` is accepted and has no effect),
 * and a too-old resourceVersion gets etcd's wording of the 410.
 */
import type { ServerResponse } from "node:http";
import type { ResourceDef } from "./resources.js";
import { apiVersionOf } from "./resources.js";
import { fieldsMatch, parseFieldSelector, parseLabelSelector } from "./selectors.js";
import { badRequest, gone } from "./status.js";
import type { Change, ObjectStore } from "./store.js";
import type { KubeObject } from "./util.js";

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
}

export function listQueryFrom(params: URLSearchParams): ListQuery {
  const num = (k: string) => {
    const v = params.get(k);
    if (v === null || v === "") return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw badRequest(`invalid value for ${k}: ${JSON.stringify(v)}`);
    return n;
  };
  return {
    labelSelector: params.get("labelSelector") ?? undefined,
    fieldSelector: params.get("fieldSelector") ?? undefined,
    limit: num("limit"),
    continueToken: params.get("continue") ?? undefined,
    resourceVersion: params.get("resourceVersion") ?? undefined,
    timeoutSeconds: num("timeoutSeconds"),
    allowWatchBookmarks: params.get("allowWatchBookmarks") === "true" || params.get("allowWatchBookmarks") === "1",
  };
}

/** Resources whose watches a real API server serves from etcd, not from its watch cache. */
const WATCHED_FROM_ETCD = new Set(["events"]);

/** The 410 message of a watch from a resourceVersion the history no longer holds. */
function tooOldMessage(def: ResourceDef, rv: string, current: number): string {
  return WATCHED_FROM_ETCD.has(def.resource) ? "The resourceVersion for the provided watch is too old." : `too old resource version: ${rv} (${current})`;
}

function matcher(def: ResourceDef, q: ListQuery): (o: KubeObject) => boolean {
  const labels = parseLabelSelector(q.labelSelector);
  const fields = parseFieldSelector(q.fieldSelector, Object.keys(def.fields({ metadata: {} })));
  return (o) => labels(o.metadata.labels) && fieldsMatch(fields, def.fields(o));
}

interface ContinueKey {
  rv: number;
  start: string;
}

function encodeContinue(key: ContinueKey): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", ...key })).toString("base64url");
}

function decodeContinue(token: string): ContinueKey {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Partial<ContinueKey> & { v?: string };
    if (parsed.v !== "meta.k8s.io/v1" || typeof parsed.start !== "string" || typeof parsed.rv !== "number") throw new Error("bad");
    return { rv: parsed.rv, start: parsed.start };
  } catch {
    throw badRequest(`continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)`);
  }
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;

/** The `XxxList` answer for a list request. */
export function listObjects(store: ObjectStore, def: ResourceDef, namespace: string | undefined, q: ListQuery): Record<string, unknown> {
  const match = matcher(def, q);
  let items = store.list(def.resource, namespace).filter(match);
  let rv = store.resourceVersion;
  if (q.continueToken) {
    const key = decodeContinue(q.continueToken);
    rv = key.rv;
    items = items.filter((o) => keyOf(o) > key.start);
  }
  const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
  if (q.limit && q.limit > 0 && items.length > q.limit) {
    const page = items.slice(0, q.limit);
    metadata.continue = encodeContinue({ rv, start: keyOf(page[page.length - 1]!) });
    metadata.remainingItemCount = items.length - q.limit;
    items = page;
  }
  return {
    kind: `${def.kind}List`,
    apiVersion: apiVersionOf(def),
    metadata,
    items: items.map(({ apiVersion: _a, kind: _k, ...rest }) => rest),
  };
}

/** An open watch stream; `end()` closes it. */
export interface OpenStream {
  end(): void;
}

export interface WatchOptions {
  /** How often a watch that allows bookmarks gets one (a real server: about every minute). */
  bookmarkIntervalMs: number;
}

/**
 * Serves a watch on `res` until the client goes away, `timeoutSeconds` passes or `end()` is called. With
 * bookmarks allowed (and a resource served from the watch cache), a BOOKMARK (an object of the kind with only `metadata.resourceVersion`) comes every
 * `bookmarkIntervalMs` and just before the timeout closes the stream, so a client resumes from a recent
 * resourceVersion even when nothing it watches changed.
 */
export function serveWatch(
  store: ObjectStore,
  def: ResourceDef,
  namespace: string | undefined,
  q: ListQuery,
  res: ServerResponse,
  opts: WatchOptions = { bookmarkIntervalMs: 60_000 },
): OpenStream {
  const match = matcher(def, q);
  const rv = q.resourceVersion;
  const fromStart = rv === undefined || rv === "" || rv === "0";
  if (!fromStart && !/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${JSON.stringify(rv)}`);
  res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private" });
  res.flushHeaders();
  const send = (type: string, object: unknown) => {
    if (!res.writableEnded) res.write(JSON.stringify({ type, object }) + "\n");
  };
  const relevant = (c: Change) => c.resource === def.resource && (namespace === undefined || c.namespace === namespace);
  const forward = (c: Change) => {
    if (!relevant(c)) return;
    const now = c.type !== "DELETED" && match(c.object);
    const before = c.previous !== undefined && c.type !== "ADDED" && match(c.previous);
    if (c.type === "DELETED") {
      if (before) send("DELETED", c.object);
    } else if (now && before) send("MODIFIED", c.object);
    else if (now) send("ADDED", c.object);
    else if (before) send("DELETED", c.object);
  };
  let unsubscribe = () => {};
  if (fromStart) {
    for (const o of store.list(def.resource, namespace)) if (match(o)) send("ADDED", o);
  } else {
    const from = Number(rv);
    const changes = store.changesSince(from);
    if (changes === "expired") {
      send("ERROR", gone(tooOldMessage(def, rv, store.resourceVersion)).toStatus());
      res.end();
      return { end() {} };
    }
    for (const c of changes) forward(c);
  }
  unsubscribe = store.subscribe(forward);
  let timer: NodeJS.Timeout | undefined;
  let bookmarks: NodeJS.Timeout | undefined;
  const bookmark = () => send("BOOKMARK", { kind: def.kind, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(store.resourceVersion) } });
  const end = () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
    if (bookmarks) clearInterval(bookmarks);
    if (!res.writableEnded) res.end();
  };
  const bookmarked = q.allowWatchBookmarks === true && !WATCHED_FROM_ETCD.has(def.resource);
  if (bookmarked) bookmarks = setInterval(bookmark, Math.max(1, opts.bookmarkIntervalMs));
  if (q.timeoutSeconds) {
    timer = setTimeout(() => {
      if (bookmarked) bookmark();
      end();
    }, q.timeoutSeconds * 1000);
  }
  res.on("close", end);
  return { end };
}
