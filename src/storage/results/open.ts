/**
 * Opening result stores from what users write and from what crosses process boundaries:
 * - `resultStoreFromSpec("/shared/results" | "file:///shared/results" | "s3://bucket/prefix?endpoint=…&region=…", credentials)`
 * - `openResultStore(location, credentials)`: the store an executor described with `location()`, opened by a
 *   worker with the worker's own credentials.
 */
import { isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import { SluiceError, showValue } from "../../core/errors.js";
import { LocalDirectoryResultStore } from "./local-directory.js";
import type { ResultStore, ResultStoreLocation } from "./result-store.js";
import { S3ResultStore } from "./s3-result-store.js";
import type { SigV4Credentials } from "./sigv4.js";

/** Credentials for s3:// stores; undefined fields are "not configured". */
export interface ResultStoreCredentials {
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  sessionToken?: string | undefined;
}

function s3Credentials(credentials: ResultStoreCredentials | undefined, field: string): SigV4Credentials {
  if (!credentials?.accessKeyId || !credentials.secretAccessKey) {
    throw new SluiceError(
      "INVALID_OPTION",
      `${field}: an s3:// result store needs credentials; set SLUICE__EXECUTOR__RESULT_STORE_ACCESS_KEY_ID and SLUICE__EXECUTOR__RESULT_STORE_SECRET_ACCESS_KEY (in the flow run's process and in every worker)`,
      { field, kind: "s3" },
    );
  }
  return { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken };
}

/**
 * A store from a spec string: an absolute directory path, a file: URL, or
 * `s3://bucket[/prefix][?endpoint=http://host:port&region=us-east-1&forcePathStyle=true]`.
 * `field` names the option in errors.
 */
export function resultStoreFromSpec(spec: string, credentials?: ResultStoreCredentials, field = "resultStore"): ResultStore {
  if (typeof spec !== "string" || spec.trim() === "") {
    throw new SluiceError("INVALID_OPTION", `${field} is ${showValue(spec)}; use a directory path, a file: URL or an s3://bucket/prefix URL`, {
      field,
      value: spec,
    });
  }
  if (spec.startsWith("s3://")) {
    let url: URL;
    try {
      url = new URL(spec);
    } catch {
      throw new SluiceError("INVALID_OPTION", `${field} is ${showValue(spec)}, which is not a valid URL; use s3://bucket/prefix`, { field, value: spec });
    }
    const known = new Set(["endpoint", "region", "forcePathStyle"]);
    for (const name of url.searchParams.keys()) {
      if (!known.has(name)) {
        throw new SluiceError("INVALID_OPTION", `${field}: unknown s3 URL parameter ${name}; known: ${[...known].join(", ")}`, { field, value: spec });
      }
    }
    const pathStyle = url.searchParams.get("forcePathStyle");
    return new S3ResultStore({
      bucket: url.hostname,
      prefix: decodeURIComponent(url.pathname.replace(/^\/+/, "")),
      endpoint: url.searchParams.get("endpoint"),
      region: url.searchParams.get("region") ?? "us-east-1",
      ...(pathStyle === null ? {} : { forcePathStyle: pathStyle === "true" }),
      credentials: s3Credentials(credentials, field),
    });
  }
  const path = spec.startsWith("file:") ? fileURLToPath(spec) : spec;
  if (!isAbsolute(path)) {
    throw new SluiceError(
      "INVALID_OPTION",
      `${field} is ${showValue(spec)}; a result store directory must be an absolute path (workers resolve it on their machine)`,
      {
        field,
        value: spec,
      },
    );
  }
  return new LocalDirectoryResultStore({ dir: path });
}

/** Opens the store a location describes (a worker opening its executor's store). */
export function openResultStore(location: ResultStoreLocation, credentials?: ResultStoreCredentials): ResultStore {
  switch (location.kind) {
    case "local":
      return new LocalDirectoryResultStore({ dir: location.dir });
    case "s3":
      return new S3ResultStore({
        bucket: location.bucket,
        prefix: location.prefix,
        endpoint: location.endpoint,
        region: location.region,
        forcePathStyle: location.forcePathStyle,
        credentials: s3Credentials(credentials, "resultStore"),
      });
    default:
      throw new SluiceError(
        "STORAGE_ERROR",
        `unknown result store kind ${showValue((location as { kind?: unknown }).kind)}; this worker knows "local" and "s3"`,
        {
          field: "resultStore",
        },
      );
  }
}
