/**
 * The HTTP face of the stand-in: parses Kubernetes REST paths, applies the test's deny rules (403),
 * records what clients send, and maps ApiCore calls and their StatusErrors onto HTTP answers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { ApiCore, DeleteOptions, PropagationPolicy } from "./apiCore.js";
import { discovery } from "./discovery.js";
import { listObjects, listQueryFrom, serveWatch, type OpenStream } from "./listWatch.js";
import { patchTypeOf } from "./patch.js";
import { apiVersionOf, findResource, type ResourceDef } from "./resources.js";
import { badRequest, forbidden, methodNotAllowed, StatusError } from "./status.js";
import { copy, isRecord } from "./util.js";

/** A rule that makes matching requests fail with 403 Forbidden. */
export interface DenyRule {
  /** get, list, watch, create, update, patch, delete, deletecollection, or "*". */
  verb: string;
  /** Plural resource (`jobs`), with a subresource (`pods/log`, `jobs/status`), or "*". */
  resource: string;
  /** Only in this namespace; every namespace when undefined. */
  namespace?: string;
}

/** One create/update/patch request as the client sent it. */
export interface ReceivedRequest {
  verb: "create" | "update" | "patch";
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  contentType?: string;
  /** The parsed JSON body (a string when it was not valid JSON), deep-copied. */
  body: unknown;
  /** The HTTP status the stand-in answered. */
  code: number;
}

/** Serves `GET .../pods/{name}/log`; throws a StatusError for a bad request. */
export type LogServer = (namespace: string, name: string, query: URLSearchParams, res: ServerResponse) => OpenStream | undefined;

export interface RouterDeps {
  api: ApiCore;
  denyRules: DenyRule[];
  received: ReceivedRequest[];
  /** How many requests came, by `"<verb> <resource>"` (e.g. "watch pods", "list jobs"), refused ones included. */
  requestCounts: Map<string, number>;
  serveLogs: LogServer;
  /** How often a watch that allows bookmarks gets one. */
  bookmarkIntervalMs: number;
}

interface Target {
  def: ResourceDef;
  namespace?: string;
  name?: string;
  subresource?: string;
  watchPath: boolean;
}

const notFoundPath = () => new StatusError(404, "NotFound", "the server could not find the requested resource", {});

function parseTarget(pathname: string): Target | undefined {
  const seg = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (seg[0] === "api" && seg.length >= 2) [group, version, rest] = ["", seg[1]!, seg.slice(2)];
  else if (seg[0] === "apis" && seg.length >= 3) [group, version, rest] = [seg[1]!, seg[2]!, seg.slice(3)];
  else return undefined;
  const watchPath = rest[0] === "watch";
  if (watchPath) rest = rest.slice(1);
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3 && findResource(group, version, rest[2]!)) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) return undefined;
  const def = findResource(group, version, rest[0]!);
  if (!def) return undefined;
  if (!def.namespaced && namespace !== undefined) return undefined;
  const [, name, subresource] = rest;
  if (subresource && !def.subresources.includes(subresource)) return undefined;
  if (def.namespaced && name !== undefined && namespace === undefined) return undefined;
  return { def, namespace, name, subresource, watchPath };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > 3 * 1024 * 1024) reject(new StatusError(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728"));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(code, { "Content-Type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json", ...headers });
  res.end(text);
}

function deleteOptionsFrom(params: URLSearchParams, body: unknown): DeleteOptions {
  const b = isRecord(body) ? body : {};
  const policy = (params.get("propagationPolicy") ?? b.propagationPolicy) as string | undefined;
  if (policy !== undefined && policy !== null && !["Foreground", "Background", "Orphan"].includes(policy)) {
    throw new StatusError(
      422,
      "Invalid",
      `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan"`,
    );
  }
  const grace = params.get("gracePeriodSeconds") ?? b.gracePeriodSeconds;
  const orphan = params.get("orphanDependents") ?? b.orphanDependents;
  return {
    propagationPolicy: (policy ?? undefined) as PropagationPolicy | undefined,
    gracePeriodSeconds: grace === undefined || grace === null ? undefined : Number(grace),
    orphanDependents: orphan === undefined || orphan === null ? undefined : String(orphan) === "true",
    preconditions: isRecord(b.preconditions) ? (b.preconditions as DeleteOptions["preconditions"]) : undefined,
    dryRun: params.get("dryRun") === "All" || (Array.isArray(b.dryRun) && b.dryRun.includes("All")),
  };
}

export class KubeHttpServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly streams = new Set<OpenStream>();
  private address = "";

  constructor(private readonly deps: RouterDeps) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => this.fail(res, e));
    });
    this.server.on("connection", (s) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
  }

  async listen(host = "127.0.0.1"): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, host, () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    this.address = `${host}:${a.port}`;
    return `http://${this.address}`;
  }

  async close(): Promise<void> {
    for (const s of [...this.streams]) s.end();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
  }

  private fail(res: ServerResponse, e: unknown): void {
    if (e instanceof StatusError) return sendJson(res, e.code, e.toStatus());
    console.error("kube stand-in: internal error:", e);
    const err = new StatusError(500, "InternalError", `Internal error occurred: ${(e as Error)?.message ?? String(e)}`);
    sendJson(res, 500, err.toStatus());
  }

  private userOf(req: IncomingMessage): string {
    const auth = req.headers.authorization ?? "";
    if (/^Bearer\s+\S+/i.test(auth)) return "system:serviceaccount:default:kube-standin";
    if (/^Basic\s+/i.test(auth))
      return (
        Buffer.from(auth.replace(/^Basic\s+/i, ""), "base64")
          .toString("utf8")
          .split(":")[0] ?? ""
      );
    return "system:anonymous";
  }

  private checkDenied(req: IncomingMessage, verb: string, t: Target): void {
    const resource = t.subresource ? `${t.def.resource}/${t.subresource}` : t.def.resource;
    const key = `${verb} ${resource}`;
    this.deps.requestCounts.set(key, (this.deps.requestCounts.get(key) ?? 0) + 1);
    const hit = this.deps.denyRules.some(
      (r) =>
        (r.verb === "*" || r.verb === verb) &&
        (r.resource === "*" || r.resource === resource || (r.resource === t.def.resource && !t.subresource)) &&
        (r.namespace === undefined || r.namespace === t.namespace),
    );
    if (hit) throw forbidden(this.userOf(req), verb, t.def.resource, t.def.group, t.name, t.namespace, t.subresource);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://standin");
    const method = req.method ?? "GET";
    if (method === "GET") {
      const doc = discovery(url.pathname, this.address);
      if (doc !== undefined) return sendJson(res, 200, doc);
    }
    const t = parseTarget(url.pathname);
    if (!t) throw notFoundPath();
    const { api } = this.deps;
    const { def } = t;
    const ns = t.namespace ?? "";
    const params = url.searchParams;
    const watch = t.watchPath || params.get("watch") === "true" || params.get("watch") === "1";
    if (method === "GET") {
      if (t.subresource === "log") {
        this.checkDenied(req, "get", t);
        const stream = this.deps.serveLogs(ns, t.name!, params, res);
        if (stream) this.track(stream, res);
        return;
      }
      if (t.name !== undefined && !watch) {
        this.checkDenied(req, "get", t);
        return sendJson(res, 200, api.get(def.resource, ns, t.name));
      }
      const q = listQueryFrom(params);
      if (t.name !== undefined) q.fieldSelector = [q.fieldSelector, `metadata.name=${t.name}`].filter(Boolean).join(",");
      if (watch) {
        this.checkDenied(req, "watch", t);
        this.track(serveWatch(api.store, def, t.namespace, q, res, { bookmarkIntervalMs: this.deps.bookmarkIntervalMs }), res);
        return;
      }
      this.checkDenied(req, "list", t);
      return sendJson(res, 200, listObjects(api.store, def, t.namespace, q));
    }
    const dryRun = params.get("dryRun") === "All";
    if (method === "POST" && t.name === undefined) {
      this.checkDenied(req, "create", t);
      const body = await this.parseBody(req, "create", t);
      const created = this.record("create", t, req, body, () => api.create(def.resource, ns, body, { dryRun }));
      return sendJson(res, 201, created);
    }
    if (method === "PUT" && t.name !== undefined) {
      this.checkDenied(req, "update", t);
      const body = await this.parseBody(req, "update", t);
      const sub = t.subresource === "status" ? "status" : undefined;
      return sendJson(
        res,
        200,
        this.record("update", t, req, body, () => api.update(def.resource, ns, t.name!, body, { dryRun, subresource: sub })),
      );
    }
    if (method === "PATCH" && t.name !== undefined) {
      this.checkDenied(req, "patch", t);
      const body = await this.parseBody(req, "patch", t);
      const sub = t.subresource === "status" ? "status" : undefined;
      return sendJson(
        res,
        200,
        this.record("patch", t, req, body, () =>
          api.patch(def.resource, ns, t.name!, patchTypeOf(req.headers["content-type"]), body, { dryRun, subresource: sub }),
        ),
      );
    }
    if (method === "DELETE") {
      const text = await readBody(req);
      let body: unknown;
      try {
        body = text.trim() ? JSON.parse(text) : {};
      } catch (e) {
        throw badRequest(`error decoding DeleteOptions: ${(e as Error).message}`);
      }
      const opts = deleteOptionsFrom(params, body);
      if (t.name === undefined) {
        this.checkDenied(req, "deletecollection", t);
        const list = listObjects(api.store, def, t.namespace, listQueryFrom(params));
        const items = (list.items as { metadata: { name: string; namespace?: string } }[]).map(
          (o) => api.delete(def.resource, o.metadata.namespace ?? "", o.metadata.name, opts).object,
        );
        return sendJson(res, 200, { ...list, items });
      }
      this.checkDenied(req, "delete", t);
      const result = api.delete(def.resource, ns, t.name, opts);
      const headers: Record<string, string> = result.warning ? { Warning: `299 - ${JSON.stringify(result.warning)}` } : {};
      if (result.deletedNow && def.resource !== "pods") {
        return sendJson(
          res,
          200,
          {
            kind: "Status",
            apiVersion: "v1",
            metadata: {},
            status: "Success",
            details: { name: t.name, group: def.group || undefined, kind: def.resource, uid: result.object.metadata.uid },
          },
          headers,
        );
      }
      return sendJson(res, 200, { ...result.object, apiVersion: apiVersionOf(def), kind: def.kind }, headers);
    }
    throw methodNotAllowed();
  }

  private track(stream: OpenStream, res: ServerResponse): void {
    this.streams.add(stream);
    res.on("close", () => this.streams.delete(stream));
  }

  private async parseBody(req: IncomingMessage, verb: ReceivedRequest["verb"], t: Target): Promise<unknown> {
    const text = await readBody(req);
    try {
      return JSON.parse(text);
    } catch (e) {
      this.deps.received.push({
        verb,
        resource: t.def.resource,
        subresource: t.subresource,
        namespace: t.namespace,
        name: t.name,
        contentType: req.headers["content-type"],
        body: text,
        code: 400,
      });
      const what = verb === "patch" ? "error decoding patch" : "couldn't get version/kind; json parse error";
      throw badRequest(`${what}: ${(e as Error).message}`);
    }
  }

  private record<T>(verb: ReceivedRequest["verb"], t: Target, req: IncomingMessage, body: unknown, run: () => T): T {
    const entry: ReceivedRequest = {
      verb,
      resource: t.def.resource,
      subresource: t.subresource,
      namespace: t.namespace,
      name: t.name,
      contentType: req.headers["content-type"],
      body: copy(body),
      code: 0,
    };
    this.deps.received.push(entry);
    try {
      const out = run();
      entry.code = verb === "create" ? 201 : 200;
      return out;
    } catch (e) {
      entry.code = e instanceof StatusError ? e.code : 500;
      throw e;
    }
  }
}
