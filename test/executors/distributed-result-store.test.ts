/**
 * Result stores of the distributed executor: the local directory store, the S3 store against an
 * S3-compatible stand-in that checks the signed requests, and the SigV4 signer against AWS's published
 * examples.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SluiceError } from "../../src/core/errors.js";
import { LocalDirectoryResultStore, openResultStore, resultStoreFromSpec, type S3ResultStore } from "../../src/storage/results/index.js";
import { sha256Hex, signRequest } from "../../src/storage/results/sigv4.js";
import { startS3StandIn, type S3StandIn } from "../support/distributed-s3-standin.js";

const AWS_EXAMPLE = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
const EXAMPLE_DATE = new Date("2013-05-24T00:00:00Z");

describe("SigV4 signer", () => {
  // The three examples of AWS's "Signature Calculations for the Authorization Header" page for S3.
  it("reproduces AWS's GET Object example", () => {
    const s = signRequest({
      method: "GET",
      url: new URL("https://examplebucket.s3.amazonaws.com/test.txt"),
      headers: { Range: "bytes=0-9" },
      payloadHash: sha256Hex(""),
      region: "us-east-1",
      service: "s3",
      credentials: AWS_EXAMPLE,
      date: EXAMPLE_DATE,
    });
    assert.equal(s.signedHeaders, "host;range;x-amz-content-sha256;x-amz-date");
    assert.equal(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  });

  it("reproduces AWS's PUT Object example (a key with $ in it)", () => {
    const s = signRequest({
      method: "PUT",
      url: new URL("https://examplebucket.s3.amazonaws.com/test$file.text"),
      headers: { Date: "Fri, 24 May 2013 00:00:00 GMT", "x-amz-storage-class": "REDUCED_REDUNDANCY" },
      payloadHash: sha256Hex("Welcome to Amazon S3."),
      region: "us-east-1",
      service: "s3",
      credentials: AWS_EXAMPLE,
      date: EXAMPLE_DATE,
    });
    assert.equal(s.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
  });

  it("reproduces AWS's list objects example (sorted query)", () => {
    const s = signRequest({
      method: "GET",
      url: new URL("https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J"),
      headers: {},
      payloadHash: sha256Hex(""),
      region: "us-east-1",
      service: "s3",
      credentials: AWS_EXAMPLE,
      date: EXAMPLE_DATE,
    });
    assert.equal(s.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  });
});

describe("LocalDirectoryResultStore", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sluice-results-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("puts, gets and deletes by prefix", async () => {
    const store = new LocalDirectoryResultStore({ dir });
    const ref = await store.put("q/run-1/j1.result.json", JSON.stringify({ big: "é".repeat(10) }));
    assert.deepEqual(ref, { store: "local", key: "q/run-1/j1.result.json", bytes: 30 });
    await store.put("q/run-1/j2.result.json", "2");
    await store.put("q/run-2/j1.result.json", "3");
    assert.deepEqual(JSON.parse(await store.get(ref)), { big: "é".repeat(10) });
    await store.delete("q/run-1/");
    assert.equal(existsSync(join(dir, "q", "run-1")), false);
    assert.equal(await store.get({ store: "local", key: "q/run-2/j1.result.json", bytes: 1 }), "3");
    await store.delete("q/run-2/j");
    assert.deepEqual(readdirSync(join(dir, "q", "run-2")), []);
    await store.delete("q/never/"); // nothing there: not an error
  });

  it("names the missing file and says the directory must be shared", async () => {
    const store = new LocalDirectoryResultStore({ dir });
    await assert.rejects(store.get({ store: "local", key: "q/x/missing.json", bytes: 1 }), (e: SluiceError) => {
      assert.equal(e.code, "STORAGE_ERROR");
      assert.match(e.message, /missing\.json does not exist; the directory .* must be shared by the executor and every worker/);
      return true;
    });
  });

  it("refuses keys that could escape the directory, and relative directories", async () => {
    const store = new LocalDirectoryResultStore({ dir });
    await assert.rejects(store.put("../escape", "x"), /key "\.\.\/escape" is not valid/);
    await assert.rejects(store.put("/abs", "x"), /key "\/abs" is not valid/);
    assert.throws(
      () => new LocalDirectoryResultStore({ dir: "relative/dir" }),
      (e: SluiceError) => e.code === "INVALID_OPTION" && e.field === "dir",
    );
    await assert.rejects(
      store.get({ store: "s3", key: "a", bytes: 1 }),
      /asked for a value stored in a "s3" ref; the executor and its workers must use the same result store/,
    );
  });

  it("is what a directory spec or a file: URL opens, and a worker reopens it from its location", () => {
    assert.equal((resultStoreFromSpec(dir) as LocalDirectoryResultStore).dir, dir);
    assert.equal((resultStoreFromSpec(`file://${dir}`) as LocalDirectoryResultStore).dir, dir);
    assert.deepEqual(openResultStore({ kind: "local", dir }).location(), { kind: "local", dir });
    assert.throws(() => resultStoreFromSpec("results"), /must be an absolute path/);
  });
});

describe("S3ResultStore against an S3-compatible stand-in", () => {
  const credentials = { accessKeyId: "AKSTANDIN", secretAccessKey: "stand-in-secret/+key" };
  let s3: S3StandIn;
  before(async () => {
    s3 = await startS3StandIn({ ...credentials, region: "eu-west-3", bucket: "sluice-results" });
  });
  after(() => s3.close());

  const store = (secret = credentials.secretAccessKey): S3ResultStore =>
    resultStoreFromSpec(`s3://sluice-results/runs/a?endpoint=${encodeURIComponent(s3.endpoint)}&region=eu-west-3`, {
      ...credentials,
      secretAccessKey: secret,
    }) as S3ResultStore;

  it("puts, gets and deletes (paging through ListObjectsV2) with requests the stand-in verifies", async () => {
    const s = store();
    const refs = [];
    for (let i = 0; i < 5; i++) refs.push(await s.put(`q/run-1/j${i}.result.json`, JSON.stringify({ i, text: "ü ".repeat(i) })));
    await s.put("q/run-2/j0.result.json", "keep");
    assert.deepEqual(JSON.parse(await s.get(refs[3]!)), { i: 3, text: "ü ü ü " });
    assert.equal(s3.objects.get("runs/a/q/run-1/j3.result.json"), JSON.stringify({ i: 3, text: "ü ü ü " }));
    await s.delete("q/run-1/");
    assert.deepEqual([...s3.objects.keys()], ["runs/a/q/run-2/j0.result.json"]);
    assert.ok(s3.requests.filter((r) => r.query.includes("continuation-token")).length >= 2, "the listing was paged");
    assert.ok(
      s3.requests.every((r) => r.status < 300),
      JSON.stringify(s3.requests.filter((r) => r.status >= 300)),
    );
    assert.ok(s3.requests.every((r) => ["host", "x-amz-content-sha256", "x-amz-date"].every((h) => r.signedHeaders.includes(h))));
    assert.deepEqual(s.location(), {
      kind: "s3",
      bucket: "sluice-results",
      prefix: "runs/a/",
      endpoint: s3.endpoint,
      region: "eu-west-3",
      forcePathStyle: true,
    });
  });

  it("reports a wrong secret as the service's SignatureDoesNotMatch, with what to check", async () => {
    await assert.rejects(store("wrong-secret").put("q/x.json", "1"), (e: SluiceError) => {
      assert.equal(e.code, "STORAGE_ERROR");
      assert.match(e.message, /answered 403 SignatureDoesNotMatch: .*; check the result store's credentials and region/);
      return true;
    });
  });

  it("reports a missing object as NoSuchKey naming the URL", async () => {
    await assert.rejects(
      store().get({ store: "s3", key: "q/none.json", bytes: 1 }),
      /GET http:\/\/127\.0\.0\.1:\d+\/sluice-results\/runs\/a\/q\/none\.json answered 404 NoSuchKey/,
    );
  });

  it("needs credentials and a valid URL", () => {
    assert.throws(() => resultStoreFromSpec("s3://sluice-results/x"), /needs credentials; set SLUICE__EXECUTOR__RESULT_STORE_ACCESS_KEY_ID/);
    assert.throws(() => resultStoreFromSpec("s3://Bad_Bucket/x", credentials), /option bucket is "Bad_Bucket"/);
    assert.throws(() => resultStoreFromSpec("s3://sluice-results/x?colour=blue", credentials), /unknown s3 URL parameter colour/);
    assert.throws(
      () => openResultStore({ kind: "s3", bucket: "sluice-results", prefix: "", endpoint: null, region: "us-east-1", forcePathStyle: false }),
      /needs credentials/,
    );
  });
});
