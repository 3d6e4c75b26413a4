/**
 * A tiny S3-compatible HTTP server for tests (no S3 service runs here). It keeps objects in memory,
 * answers path-style PutObject, GetObject, DeleteObject and ListObjectsV2 (two keys per page, so
 * pagination is exercised), and checks every request the way S3 does: the SigV4 Authorization header's
 * shape, the credential scope (key, date, region, service), the payload hash, and the signature itself,
 * recomputed here from what arrived on the wire with its own canonicalization code (not the client's).
 * A request that fails a check gets S3's XML error (403 SignatureDoesNotMatch, ...).
 */
import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface S3StandInOptions {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  bucket: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  signedHeaders: string[];
  status: number;
}

export interface S3StandIn {
  endpoint: string;
  objects: Map<string, string>;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

const strict = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");
const xmlEscape = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function errorXml(res: ServerResponse, status: number, code: string, message: string): number {
  res.writeHead(status, { "content-type": "application/xml" });
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`);
  return status;
}

/** Recomputes the signature of a request as received. */
function expectedSignature(
  req: IncomingMessage,
  rawPath: string,
  rawQuery: string,
  signed: string[],
  payloadHash: string,
  secret: string,
  scope: string[],
  amzDate: string,
): string {
  const path = rawPath
    .split("/")
    .map((seg) => strict(decodeURIComponent(seg)))
    .join("/");
  const query = rawQuery
    .split("&")
    .filter((p) => p !== "")
    .map((p) => {
      const [k = "", v = ""] = p.split("=");
      return [strict(decodeURIComponent(k.replace(/\+/g, " "))), strict(decodeURIComponent(v.replace(/\+/g, " ")))];
    })
    .sort((a, b) => (a[0]! === b[0]! ? (a[1]! < b[1]! ? -1 : 1) : a[0]! < b[0]! ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const headers = signed.map((name) => {
    const value = req.headers[name];
    return `${name}:${(Array.isArray(value) ? value.join(",") : (value ?? "")).trim().replace(/\s+/g, " ")}\n`;
  });
  const canonical = [req.method, path, query, headers.join(""), signed.join(";"), payloadHash].join("\n");
  const [, day, region, service] = scope;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, `${scope.slice(1).join("/")}/aws4_request`, sha(canonical)].join("\n");
  let key: Buffer = createHmac("sha256", `AWS4${secret}`).update(day!).digest();
  for (const part of [region!, service!, "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
  return createHmac("sha256", key).update(toSign).digest("hex");
}

export async function startS3StandIn(options: S3StandInOptions): Promise<S3StandIn> {
  const objects = new Map<string, string>();
  const requests: RecordedRequest[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer): number => {
    const [rawPath = "/", rawQuery = ""] = (req.url ?? "/").split("?");
    const auth = String(req.headers.authorization ?? "");
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/(s3)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
    if (!m) return errorXml(res, 403, "AccessDenied", `malformed Authorization header: ${auth.slice(0, 60)}`);
    const [, key, day, region, service, signedList, signature] = m;
    if (key !== options.accessKeyId) return errorXml(res, 403, "InvalidAccessKeyId", "unknown access key");
    if (region !== options.region) return errorXml(res, 400, "AuthorizationHeaderMalformed", `region ${region} is wrong; expecting ${options.region}`);
    const signed = signedList!.split(";");
    for (const required of ["host", "x-amz-date", "x-amz-content-sha256"]) {
      if (!signed.includes(required)) return errorXml(res, 403, "AccessDenied", `${required} must be signed`);
    }
    const amzDate = String(req.headers["x-amz-date"] ?? "");
    if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== day)
      return errorXml(res, 403, "AccessDenied", "x-amz-date is malformed or not the scope's day");
    const when = Date.parse(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );
    if (Math.abs(Date.now() - when) > 15 * 60_000) return errorXml(res, 403, "RequestTimeTooSkewed", "the request time is too far from the server's");
    const payloadHash = String(req.headers["x-amz-content-sha256"] ?? "");
    if (payloadHash !== sha(body)) return errorXml(res, 400, "XAmzContentSHA256Mismatch", "the payload hash does not match the body");
    const expected = expectedSignature(req, rawPath, rawQuery, signed, payloadHash, options.secretAccessKey, [key!, day!, region!, service!], amzDate);
    if (expected !== signature)
      return errorXml(res, 403, "SignatureDoesNotMatch", "the request signature we calculated does not match the signature you provided");

    const parts = rawPath.split("/").slice(1).map(decodeURIComponent);
    const bucket = parts[0] ?? "";
    const objectKey = parts.slice(1).join("/");
    if (bucket !== options.bucket) return errorXml(res, 404, "NoSuchBucket", `bucket ${bucket} does not exist`);
    const query = new URLSearchParams(rawQuery);
    if (req.method === "GET" && objectKey === "" && query.get("list-type") === "2") {
      const prefix = query.get("prefix") ?? "";
      const all = [...objects.keys()].filter((k) => k.startsWith(prefix)).sort();
      // Like S3, the token marks a position in key order (the last key listed), so deleting listed keys while paging skips nothing.
      const after = query.has("continuation-token") ? Buffer.from(query.get("continuation-token")!, "base64url").toString("utf8") : null;
      const rest = after === null ? all : all.filter((k) => k > after);
      const page = rest.slice(0, 2);
      const truncated = rest.length > 2;
      res.writeHead(200, { "content-type": "application/xml" });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>${bucket}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount>` +
          page.map((k) => `<Contents><Key>${xmlEscape(k)}</Key></Contents>`).join("") +
          `<IsTruncated>${truncated}</IsTruncated>${truncated ? `<NextContinuationToken>${Buffer.from(page[page.length - 1]!).toString("base64url")}</NextContinuationToken>` : ""}</ListBucketResult>`,
      );
      return 200;
    }
    if (objectKey === "") return errorXml(res, 400, "InvalidRequest", "this stand-in only knows object requests and ListObjectsV2");
    switch (req.method) {
      case "PUT":
        objects.set(objectKey, body.toString("utf8"));
        res.writeHead(200, { etag: `"${createHash("md5").update(body).digest("hex")}"` });
        res.end();
        return 200;
      case "GET": {
        const value = objects.get(objectKey);
        if (value === undefined) return errorXml(res, 404, "NoSuchKey", `no object ${objectKey}`);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(value);
        return 200;
      }
      case "DELETE":
        objects.delete(objectKey);
        res.writeHead(204);
        res.end();
        return 204;
      default:
        return errorXml(res, 405, "MethodNotAllowed", `${req.method} is not supported`);
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const [path = "/", query = ""] = (req.url ?? "/").split("?");
      const signed = /SignedHeaders=([a-z0-9;-]+)/.exec(String(req.headers.authorization ?? ""))?.[1]?.split(";") ?? [];
      const status = handle(req, res, Buffer.concat(chunks));
      requests.push({ method: req.method ?? "", path, query, signedHeaders: signed, status });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    objects,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
