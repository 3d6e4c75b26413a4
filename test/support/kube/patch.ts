/**
 * The three patch formats of the API server: JSON Patch (RFC 6902, what client-node 1.4.0 sends by
 * default), JSON Merge Patch (RFC 7386) and a strategic merge patch limited to its common case (lists of
 * objects with a `name` — containers, env, volumes, ports — merge by name; other lists are replaced).
 */
import { badRequest, StatusError } from "./status.js";
import { isRecord } from "./util.js";

export type PatchType = "json" | "merge" | "strategic";

export function patchTypeOf(contentType: string | undefined): PatchType {
  const ct = (contentType ?? "").split(";")[0]!.trim();
  if (ct === "application/json-patch+json") return "json";
  if (ct === "application/merge-patch+json") return "merge";
  if (ct === "application/strategic-merge-patch+json") return "strategic";
  throw new StatusError(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ${JSON.stringify(ct)})`,
  );
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function isNamedList(list: unknown): list is Record<string, unknown>[] {
  return Array.isArray(list) && list.length > 0 && list.every((e) => isRecord(e) && typeof e.name === "string");
}

export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (isNamedList(patch) && (Array.isArray(target) || target === undefined)) {
    const out = [...((target as unknown[] | undefined) ?? [])] as Record<string, unknown>[];
    for (const p of patch) {
      if (p.$patch === "delete") {
        const i = out.findIndex((e) => isRecord(e) && e.name === p.name);
        if (i >= 0) out.splice(i, 1);
        continue;
      }
      const i = out.findIndex((e) => isRecord(e) && e.name === p.name);
      if (i >= 0) out[i] = strategicMergePatch(out[i], p) as Record<string, unknown>;
      else out.push(p);
    }
    return out;
  }
  if (!isRecord(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = strategicMergePatch(out[k], v);
  }
  return out;
}

function unescape(token: string): string {
  return token.replace(/~1/g, "/").replace(/~0/g, "~");
}

function parentOf(doc: unknown, path: string): { parent: Record<string, unknown> | unknown[]; key: string } {
  if (!path.startsWith("/"))
    throw badRequest(`the server rejected our request due to an error in our request: invalid JSON Patch path ${JSON.stringify(path)}`);
  const tokens = path.split("/").slice(1).map(unescape);
  const key = tokens.pop()!;
  let cur: unknown = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isRecord(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined)
      throw new StatusError(422, "Invalid", `the server rejected our request due to an error in our request: doc is missing path: "${path}": missing value`);
  }
  if (!Array.isArray(cur) && !isRecord(cur)) throw new StatusError(422, "Invalid", `doc is missing path: "${path}"`);
  return { parent: cur, key };
}

function getAt(doc: unknown, path: string): unknown {
  if (path === "") return doc;
  const { parent, key } = parentOf(doc, path);
  const v = Array.isArray(parent) ? parent[Number(key)] : parent[key];
  if (v === undefined)
    throw new StatusError(422, "Invalid", `the server rejected our request due to an error in our request: doc is missing path: "${path}": missing value`);
  return v;
}

function removeAt(doc: unknown, path: string): unknown {
  const { parent, key } = parentOf(doc, path);
  const old = getAt(doc, path);
  if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else delete parent[key];
  return old;
}

function addAt(doc: unknown, path: string, value: unknown, replace: boolean): void {
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent)) {
    const i = key === "-" ? parent.length : Number(key);
    if (!Number.isInteger(i) || i < 0 || i > parent.length) throw new StatusError(422, "Invalid", `unable to patch: index ${key} out of bounds at "${path}"`);
    if (replace) parent[i] = value;
    else parent.splice(i, 0, value);
  } else {
    if (replace && !(key in parent))
      throw new StatusError(422, "Invalid", `the server rejected our request due to an error in our request: doc is missing key: "${path}": missing value`);
    parent[key] = value;
  }
}

/** Applies an RFC 6902 patch to a copy of `doc`. */
export function jsonPatch(doc: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  const out = structuredClone(doc);
  for (const op of ops) {
    if (!isRecord(op) || typeof op.path !== "string")
      throw badRequest("the server rejected our request due to an error in our request: JSON Patch operation without a path");
    switch (op.op) {
      case "add":
        addAt(out, op.path, structuredClone(op.value), false);
        break;
      case "replace":
        addAt(out, op.path, structuredClone(op.value), true);
        break;
      case "remove":
        removeAt(out, op.path);
        break;
      case "test":
        if (JSON.stringify(getAt(out, op.path)) !== JSON.stringify(op.value)) {
          throw new StatusError(422, "Invalid", `the server rejected our request due to an error in our request: testing value ${op.path} failed: test failed`);
        }
        break;
      case "move":
        addAt(out, op.path, removeAt(out, String(op.from)), false);
        break;
      case "copy":
        addAt(out, op.path, structuredClone(getAt(out, String(op.from))), false);
        break;
      default:
        throw badRequest(`Unexpected kind: ${String(op.op)}`);
    }
  }
  return out;
}

export function applyPatch(type: PatchType, doc: unknown, patch: unknown): unknown {
  if (type === "json") return jsonPatch(doc, patch);
  if (!isRecord(patch)) throw badRequest("json: cannot unmarshal array into Go value of type map[string]interface {}");
  return type === "merge" ? mergePatch(doc, patch) : strategicMergePatch(doc, patch);
}
