/**
 * Loading a user's Job spec YAML (KubernetesJobEnvironment's `jobSpecFile`), at construction, on the
 * machine that registers the flow. The file must hold one `batch/v1` Job; the sections Sluice
 * writes to (metadata, labels, spec.template, template labels, template spec, containers) are created when
 * missing, and a missing restartPolicy becomes "Never" (a Job accepts only Never or OnFailure). Fields
 * the Kubernetes schema does not know (a misspelt `evn`) are refused, with the closest known name, as an
 * API server with fieldValidation=Strict would; then the schema is checked (types, required fields,
 * enums), then the API server's cross-field rules (validation-rules.ts: what a cluster would refuse with
 * 422 Invalid, in its words). Every problem is an error naming the file, the line, the field and what to
 * do; nothing reaches a cluster.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Document, LineCounter } from "yaml";
import { yaml } from "./yaml-lazy.js";
import { SluiceError, showValue } from "../../core/errors.js";
import { pathInImage } from "../../storage/docker/index.js";
import type { JobManifest } from "./manifest-types.js";
import { MAX_JOB_NAME, UNIQUE_SUFFIX_LENGTH, jobNameProblem } from "./names.js";
import { checkJobSchema, fieldPath } from "./schema-check.js";
import { causeText, jobSpecCauses } from "./validation-rules.js";
import { describeUnknownField, findUnknownFields } from "./unknown-fields.js";

/** Name of the first container when the spec lists none. */
export const DEFAULT_FLOW_CONTAINER = "flow-container";

export interface JobSpecSource {
  /** The path as the user gave it (for messages). */
  file: string;
  /** Its text. */
  text: string;
}

export interface CompileJobSpecOptions {
  /** With `uniqueJobName`, the name must leave room for the "-xxxxxxxx" suffix. @default false */
  uniqueJobName?: boolean;
  /** Who reads the spec, for messages. @default "KubernetesJobEnvironment" */
  owner?: string;
  /** The option that named the file, for messages and the error's field. @default "jobSpecFile" */
  option?: string;
}

type Path = (string | number)[];

class SpecProblems {
  constructor(
    private readonly owner: string,
    private readonly file: string,
    private readonly doc: Document | undefined,
    private readonly lines: LineCounter,
  ) {}

  /** `file:line` of the node at `path` (or of its nearest existing parent). */
  where(path: Path): string {
    for (let n = path.length; n >= 0 && this.doc; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === "object" && Array.isArray(node.range)) {
        const { line } = this.lines.linePos(node.range[0]);
        return `${this.file}:${line}`;
      }
    }
    return this.file;
  }

  /** `file:line` of the key that ends `path` (where a misspelt field name is written). */
  whereKey(path: Path): string {
    const parent = this.doc?.getIn(path.slice(0, -1), true);
    if (yaml().isMap(parent)) {
      const pair = parent.items.find((p) => yaml().isScalar(p.key) && p.key.value === path[path.length - 1]);
      const range = yaml().isScalar(pair?.key) ? pair.key.range : undefined;
      if (range) return `${this.file}:${this.lines.linePos(range[0]).line}`;
    }
    return this.where(path);
  }

  fail(path: Path, value: unknown, problem: string, extra = "", at = this.where(path)): never {
    const field = fieldPath(path);
    const shown = value === undefined ? "" : ` is ${showValue(value)}:`;
    throw new SluiceError("INVALID_OPTION", `${this.owner}: job spec ${at}: ${field}${shown} ${problem}${extra}`, {
      field,
      value,
      kind: "kubernetes-job",
    });
  }
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The mapping at `holder[key]`, created when missing (or null); an error when it is something else. */
function section(holder: Record<string, unknown>, key: string, path: Path, problems: SpecProblems): Record<string, unknown> {
  const value = holder[key];
  if (value === undefined || value === null) {
    const created: Record<string, unknown> = {};
    holder[key] = created;
    return created;
  }
  if (!isMapping(value)) return problems.fail([...path, key], value, "must be a mapping");
  return value;
}

/** Parses and validates a job spec's text; the result is a fresh object the caller owns. */
export function compileJobSpec(source: JobSpecSource, options: CompileJobSpecOptions = {}): JobManifest {
  const lines = new (yaml().LineCounter)();
  const docs = yaml().parseAllDocuments(source.text, { lineCounter: lines, prettyErrors: true });
  const owner = options.owner ?? "KubernetesJobEnvironment";
  const none = new SpecProblems(owner, source.file, undefined, lines);
  if (!Array.isArray(docs)) return none.fail([], undefined, "is not YAML");
  const content = docs.filter((d) => d.contents !== null);
  if (content.length === 0) return none.fail([], undefined, "is empty; it must hold one batch/v1 Job (apiVersion: batch/v1, kind: Job)");
  if (content.length > 1) return none.fail([], undefined, `holds ${content.length} YAML documents; it must hold exactly one batch/v1 Job`);
  const doc = content[0]!;
  const problems = new SpecProblems(owner, source.file, doc, lines);
  const syntax = doc.errors[0];
  if (syntax) {
    const at = syntax.linePos?.[0];
    throw new SluiceError("INVALID_OPTION", `${owner}: job spec ${source.file}${at ? `:${at.line}` : ""} is not valid YAML: ${syntax.message.split("\n")[0]}`, {
      field: options.option ?? "jobSpecFile",
      value: source.file,
      kind: "kubernetes-job",
    });
  }
  const root: unknown = doc.toJS({ maxAliasCount: 100 });
  if (!isMapping(root)) return problems.fail([], root, "must be a mapping (a Kubernetes Job object)");

  if (root.apiVersion !== "batch/v1") {
    problems.fail(
      ["apiVersion"],
      root.apiVersion,
      'must be "batch/v1"',
      root.apiVersion === undefined ? "; start the file with apiVersion: batch/v1 and kind: Job" : "",
    );
  }
  if (root.kind !== "Job") problems.fail(["kind"], root.kind, 'must be "Job"; the job spec is a batch/v1 Job, not another kind of object');

  const metadata = section(root, "metadata", [], problems);
  section(metadata, "labels", ["metadata"], problems);
  if (metadata.name !== undefined) {
    const max = options.uniqueJobName ? MAX_JOB_NAME - UNIQUE_SUFFIX_LENGTH : MAX_JOB_NAME;
    const problem = typeof metadata.name === "string" ? jobNameProblem(metadata.name, max) : "must be a string";
    if (problem) {
      const why = options.uniqueJobName ? ` (uniqueJobName appends "-" and 8 characters to it, within the ${MAX_JOB_NAME}-character limit of Job names)` : "";
      problems.fail(["metadata", "name"], metadata.name, `is not a valid Job name: ${problem}${why}`);
    }
  }

  const spec = section(root, "spec", [], problems);
  if (spec.containers !== undefined) {
    problems.fail(
      ["spec", "containers"],
      undefined,
      "is set on the Job; containers belong under spec.template.spec.containers (this looks like a Pod spec, not a Job)",
    );
  }
  const template = section(spec, "template", ["spec"], problems);
  const templateMetadata = section(template, "metadata", ["spec", "template"], problems);
  section(templateMetadata, "labels", ["spec", "template", "metadata"], problems);
  const podSpec = section(template, "spec", ["spec", "template"], problems);
  const containersPath = ["spec", "template", "spec", "containers"];
  if (podSpec.containers === undefined || podSpec.containers === null) podSpec.containers = [];
  if (!Array.isArray(podSpec.containers)) return problems.fail(containersPath, podSpec.containers, "must be a list of containers");
  if (podSpec.containers.length === 0) podSpec.containers.push({ name: DEFAULT_FLOW_CONTAINER });
  podSpec.containers.forEach((c: unknown, i: number) => {
    if (!isMapping(c)) problems.fail([...containersPath, i], c, "must be a mapping (a container)");
  });
  if (podSpec.restartPolicy === undefined || podSpec.restartPolicy === null) podSpec.restartPolicy = "Never";
  else if (podSpec.restartPolicy !== "Never" && podSpec.restartPolicy !== "OnFailure") {
    problems.fail(["spec", "template", "spec", "restartPolicy"], podSpec.restartPolicy, 'a Job\'s pods must have restartPolicy "Never" or "OnFailure"');
  }

  const unknown = findUnknownFields(root, "Job");
  const misspelt = unknown[0];
  if (misspelt) {
    const more =
      unknown.length > 1
        ? ` (and ${unknown.length - 1} more unknown field${unknown.length > 2 ? "s" : ""}: ${unknown
            .slice(1, 4)
            .map((u) => u.field)
            .join(", ")})`
        : "";
    problems.fail(misspelt.path, undefined, describeUnknownField(misspelt), more, problems.whereKey(misspelt.path));
  }

  const found = checkJobSchema(root);
  const first = found[0];
  if (first) {
    const more =
      found.length > 1
        ? ` (and ${found.length - 1} more problem${found.length > 2 ? "s" : ""}: ${found
            .slice(1, 4)
            .map((p) => `${p.field} ${p.problem}`)
            .join("; ")})`
        : "";
    let value: unknown = root;
    for (const key of first.path) value = isMapping(value) || Array.isArray(value) ? (value as Record<string | number, unknown>)[key] : undefined;
    problems.fail(first.path, value, first.problem, more);
  }

  // What the API server would refuse beyond the schema (cross-field rules), in its own words.
  const refused = jobSpecCauses(spec, "spec");
  const rule = refused[0];
  if (rule) {
    const more = refused.length > 1 ? ` (and ${refused.length - 1} more: ${refused.slice(1, 4).map(causeText).join("; ")})` : "";
    problems.fail(causePath(rule.field), undefined, `would be refused by the Kubernetes API server (422 Invalid): ${rule.message}`, more);
  }
  return root as unknown as JobManifest;
}

/** `spec.template.spec.containers[0].resources.limits[gpu]` as a path: spec, template, ..., 0, ..., "gpu". */
function causePath(field: string): Path {
  const path: Path = [];
  for (const m of field.matchAll(/([^.[\]]+)|\[([^\]]*)\]/g)) {
    const key = m[1] ?? m[2]!;
    path.push(m[2] !== undefined && /^\d+$/.test(key) ? Number(key) : key);
  }
  return path;
}

export interface LoadedJobSpec {
  /** The validated spec; the caller owns it. */
  spec: JobManifest;
  /** The absolute path it was read from. */
  path: string;
}

function invalidFile(file: unknown, options: CompileJobSpecOptions, message: string, cause?: unknown): SluiceError {
  const option = options.option ?? "jobSpecFile";
  return new SluiceError("INVALID_OPTION", `${options.owner ?? "KubernetesJobEnvironment"}: ${option} ${message}`, {
    field: option,
    value: file instanceof URL ? file.href : file,
    kind: "kubernetes-job",
    cause,
  });
}

/**
 * Reads and validates the job spec at `file`: a path (relative to `cwd`) or a file: URL. Inside a flow
 * image (the flow's module imported again there), the path the module computes is mapped back to the
 * building machine's, where DockerStorage put the spec (`environment.imageFiles`; see pathInImage).
 */
export function loadJobSpec(file: unknown, options: CompileJobSpecOptions & { cwd?: string } = {}): LoadedJobSpec {
  let given: string;
  if (file instanceof URL) {
    if (file.protocol !== "file:")
      throw invalidFile(file, options, `${file.href} is not a file: URL; give a path or new URL("./job_spec.yaml", import.meta.url)`);
    given = fileURLToPath(file);
  } else if (typeof file === "string" && file.trim() !== "") {
    given = file;
  } else {
    throw invalidFile(file, options, `is ${showValue(file)}; give the path of a Job spec YAML file, e.g. jobSpecFile: "job_spec.yaml"`);
  }
  const cwd = options.cwd ?? process.cwd();
  const path = pathInImage(resolve(cwd, given), { cwd });
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is a directory" : `cannot be read (${(cause as Error).message})`;
    throw invalidFile(file, options, `${showValue(given)} ${why} (looked at ${path}); give the path of a Job spec YAML file`, cause);
  }
  return { spec: compileJobSpec({ file: given, text }, options), path };
}
