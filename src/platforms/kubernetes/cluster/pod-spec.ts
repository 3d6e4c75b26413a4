/**
 * Loading a user's worker pod spec YAML (`workerSpecFile`), at construction, on the machine that
 * registers the flow. The file must hold one `v1` Pod; the sections Sluice writes to (metadata, labels,
 * spec, containers) are created when missing. Fields the Kubernetes schema does not know are refused with
 * the closest known name, then the pod part is checked against the schema (the same check as job specs: a
 * Pod is a Job's pod template). Errors name the file, the line and the field.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Document, LineCounter } from "yaml";
import { yaml } from "../yaml-lazy.js";
import { SluiceError, showValue } from "../../../core/errors.js";
import { pathInImage } from "../../../storage/docker/index.js";
import type { Container, ObjectMeta, PodSpec } from "../manifest-types.js";
import { checkJobSchema, fieldPath } from "../schema-check.js";
import { describeUnknownField, findUnknownFields } from "../unknown-fields.js";

/** A v1 Pod whose sections Sluice writes to exist. */
export interface PodManifest {
  apiVersion: "v1";
  kind: "Pod";
  metadata: ObjectMeta & { labels: Record<string, string> };
  spec: PodSpec & { containers: Container[] };
  [field: string]: unknown;
}

/** Name of the first container when the worker spec lists none. */
export const DEFAULT_WORKER_CONTAINER = "worker";

type Path = (string | number)[];
const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function problemAt(owner: string, field: string, file: string, doc: Document | undefined, lines: LineCounter) {
  const where = (path: Path): string => {
    // The key's own line when the path ends with a key that is written (a misspelt field), else the value's or a parent's.
    const parent = doc?.getIn(path.slice(0, -1), true);
    const pair = yaml().isMap(parent) ? parent.items.find((p) => yaml().isScalar(p.key) && p.key.value === path[path.length - 1]) : undefined;
    if (yaml().isScalar(pair?.key) && pair.key.range) return `${file}:${lines.linePos(pair.key.range[0]).line}`;
    for (let n = path.length; n >= 0 && doc; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === "object" && Array.isArray(node.range)) return `${file}:${lines.linePos(node.range[0]).line}`;
    }
    return file;
  };
  return (path: Path, value: unknown, problem: string): never => {
    const shown = value === undefined ? "" : ` is ${showValue(value)}:`;
    throw new SluiceError("INVALID_OPTION", `${owner}: ${field} ${where(path)}: ${fieldPath(path)}${shown} ${problem}`, {
      field: `${field}:${fieldPath(path)}`,
      value,
      kind: "kubernetes-cluster",
    });
  };
}

/** Parses and validates a worker pod spec's text. `owner` and `field` name the environment and option in errors. */
export function compilePodSpec(source: { file: string; text: string }, owner = "KubernetesClusterEnvironment", field = "workerSpecFile"): PodManifest {
  const lines = new (yaml().LineCounter)();
  const docs = yaml().parseAllDocuments(source.text, { lineCounter: lines, prettyErrors: true });
  const docList = Array.isArray(docs) ? docs.filter((d) => d.contents !== null) : [];
  const doc = docList[0];
  const fail = problemAt(owner, field, source.file, doc, lines);
  if (docList.length !== 1)
    fail(
      [],
      undefined,
      docList.length === 0
        ? "is empty; it must hold one v1 Pod (apiVersion: v1, kind: Pod)"
        : `holds ${docList.length} YAML documents; it must hold exactly one v1 Pod`,
    );
  const syntax = doc!.errors[0];
  if (syntax) fail([], undefined, `is not valid YAML: ${syntax.message.split("\n")[0]}`);
  const root: unknown = doc!.toJS({ maxAliasCount: 100 });
  if (!isMapping(root)) return fail([], root, "must be a mapping (a Kubernetes Pod object)");
  if (root.apiVersion !== "v1") fail(["apiVersion"], root.apiVersion, 'must be "v1" (a worker spec is a Pod: apiVersion: v1, kind: Pod)');
  if (root.kind !== "Pod") fail(["kind"], root.kind, 'must be "Pod"; a worker spec is one Pod, not a Job or Deployment');
  const section = (holder: Record<string, unknown>, key: string, path: Path): Record<string, unknown> => {
    const value = holder[key];
    if (value === undefined || value === null) return (holder[key] = {}) as Record<string, unknown>;
    if (!isMapping(value)) return fail([...path, key], value, "must be a mapping");
    return value;
  };
  const metadata = section(root, "metadata", []);
  section(metadata, "labels", ["metadata"]);
  const spec = section(root, "spec", []);
  if (spec.containers === undefined || spec.containers === null) spec.containers = [];
  if (!Array.isArray(spec.containers)) return fail(["spec", "containers"], spec.containers, "must be a list of containers");
  if (spec.containers.length === 0) spec.containers.push({ name: DEFAULT_WORKER_CONTAINER });
  spec.containers.forEach((c: unknown, i: number) => {
    if (!isMapping(c)) fail(["spec", "containers", i], c, "must be a mapping (a container)");
  });
  const unknown = findUnknownFields(root, "Pod")[0];
  if (unknown) fail(unknown.path, undefined, describeUnknownField(unknown));
  // A Pod is a Job's pod template: check it with the Job schema, then map the paths back.
  const asJob = { apiVersion: "batch/v1", kind: "Job", metadata: {}, spec: { template: { metadata, spec } } };
  const first = checkJobSchema(asJob)[0];
  if (first) {
    const path = first.path.slice(0, 2).join(".") === "spec.template" ? first.path.slice(2) : first.path;
    let value: unknown = root;
    for (const key of path) value = isMapping(value) || Array.isArray(value) ? (value as Record<string | number, unknown>)[key] : undefined;
    fail(path, value, first.problem);
  }
  return root as unknown as PodManifest;
}

/** Reads and validates the worker spec at `file` (a path or file: URL); inside the flow's image, the path is mapped back to the building machine's (pathInImage). */
export function loadPodSpec(file: unknown, owner = "KubernetesClusterEnvironment", field = "workerSpecFile"): { spec: PodManifest; path: string } {
  const invalid = (message: string, cause?: unknown): SluiceError =>
    new SluiceError("INVALID_OPTION", `${owner}: ${field} ${message}`, {
      field,
      value: file instanceof URL ? file.href : file,
      kind: "kubernetes-cluster",
      cause,
    });
  let given: string;
  if (file instanceof URL && file.protocol === "file:") given = fileURLToPath(file);
  else if (typeof file === "string" && file.trim() !== "") given = file;
  else throw invalid(`is ${showValue(file instanceof URL ? file.href : file)}; give the path of a Pod spec YAML file (or a file: URL), e.g. "worker_pod.yaml"`);
  const path = pathInImage(resolve(given));
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw invalid(
      `${showValue(given)} ${code === "ENOENT" ? "does not exist" : `cannot be read (${(cause as Error).message})`} (looked at ${path}); give the path of a Pod spec YAML file`,
      cause,
    );
  }
  return { spec: compilePodSpec({ file: given, text }, owner, field), path };
}
