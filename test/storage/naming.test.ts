import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SluiceError } from "../../src/core/errors.js";
import {
  checkImageName,
  checkImageTag,
  checkRegistryUrl,
  defaultImageName,
  fullImageName,
  slugify,
  splitImageReference,
  timestampTag,
} from "../../src/storage/docker/naming.js";

const invalid = (field: string) => (e: unknown) => e instanceof SluiceError && e.code === "INVALID_OPTION" && e.field === field;

describe("Docker image naming", () => {
  it("names a one-flow image after the flow's slug, a several-flow image with a UUID", () => {
    assert.equal(defaultImageName(["My ETL Flow!"]), "my-etl-flow");
    assert.match(defaultImageName(["a", "b"]), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.match(defaultImageName(["???"]), /^[0-9a-f-]{36}$/, "a name without a usable slug falls back to a UUID");
  });

  it("tags with a slug of the UTC time", () => {
    assert.equal(timestampTag(new Date(Date.UTC(2026, 10, 22, 10, 15, 30, 123))), "2026-11-22t10-15-30-123z");
    assert.doesNotThrow(() => checkImageTag(timestampTag()));
  });

  it("slugs lowercase and trim", () => {
    assert.equal(slugify("  Hello__World  "), "hello-world");
    assert.equal(slugify("x".repeat(300)).length, 128);
  });

  it("builds registry/name:tag", () => {
    assert.equal(fullImageName("127.0.0.1:5000", "etl", "v1"), "127.0.0.1:5000/etl:v1");
    assert.equal(fullImageName(undefined, "etl", "v1"), "etl:v1");
    assert.deepEqual(splitImageReference("127.0.0.1:5000/team/etl:v1"), { repository: "127.0.0.1:5000/team/etl", tag: "v1" });
    assert.deepEqual(splitImageReference("127.0.0.1:5000/etl"), { repository: "127.0.0.1:5000/etl", tag: "latest" });
  });

  it("accepts valid names, tags and registries", () => {
    for (const name of ["etl", "team/etl", "a.b_c-d", "a__b"]) assert.equal(checkImageName(name), name);
    for (const tag of ["v1", "latest", "1.2.3-rc_1", "_x"]) assert.equal(checkImageTag(tag), tag);
    for (const url of ["127.0.0.1:5000", "ghcr.io/my-org", "registry.example.com:443/team"]) assert.equal(checkRegistryUrl(url), url);
  });

  it("rejects invalid names, tags and registries, naming the field", () => {
    for (const name of ["ETL", "etl:v1", "-etl", "etl-", "a//b", "", "a b"]) assert.throws(() => checkImageName(name), invalid("imageName"), name);
    for (const tag of [".v1", "-v1", "a/b", "x".repeat(129), "", "v 1"]) assert.throws(() => checkImageTag(tag), invalid("imageTag"), tag);
    for (const url of ["http://127.0.0.1:5000", "host:port", "bad_host!:5000", "ok.io/UPPER"])
      assert.throws(() => checkRegistryUrl(url), invalid("registryUrl"), url);
  });
});
