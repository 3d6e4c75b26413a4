/**
 * Image names of Docker storage: the slug of the flow's name when the storage holds one flow,
 * else a UUID; a tag made from the UTC time of the build; a user-given name or tag always wins; the full
 * name is `registryUrl/name:tag`. Names and tags are checked against Docker's reference grammar before
 * anything is built, with errors that name the field.
 */
import { randomUUID } from "node:crypto";
import { SluiceError, showValue } from "../../core/errors.js";

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_PART = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Lowercase slug of any text: runs of other characters become "-", at most 128 characters. */
export function slugify(text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 128)
    .replace(/-+$/, "");
  return slug;
}

/** The default image name: the slug of the only flow's name, else a UUID. */
export function defaultImageName(flowNames: readonly string[]): string {
  if (flowNames.length === 1) {
    const slug = slugify(flowNames[0]!);
    if (slug !== "") return slug;
  }
  return randomUUID();
}

/** The default tag: a slug of the UTC time, e.g. "2026-11-22t10-15-30-123z". */
export function timestampTag(now: Date = new Date()): string {
  return slugify(now.toISOString());
}

/** Checks a repository path such as "my-flow" or "team/etl" (no registry, no tag). */
export function checkImageName(name: unknown, field = "imageName"): string {
  const fail = (why: string): never => {
    throw new SluiceError("INVALID_OPTION", `${field} ${showValue(name)} is not a valid image name: ${why}`, { field, value: name });
  };
  if (typeof name !== "string" || name === "") return fail('give a non-empty string such as "my-flow" or "team/etl"');
  if (name.length > 255) fail("it is longer than 255 characters");
  if (name.includes(":") || name.includes("@")) fail("leave the tag out of imageName and give it as imageTag");
  for (const part of name.split("/")) {
    if (!COMPONENT.test(part)) {
      fail(`"${part}" must be lowercase letters and digits, separated by ".", "_", "__" or "-" (e.g. "my-flow")`);
    }
  }
  return name;
}

/** Checks a tag: letters, digits, "_", "." and "-", not starting with "." or "-", at most 128 characters. */
export function checkImageTag(tag: unknown, field = "imageTag"): string {
  if (typeof tag !== "string" || !TAG.test(tag)) {
    throw new SluiceError(
      "INVALID_OPTION",
      `${field} ${showValue(tag)} is not a valid image tag: use up to 128 letters, digits, "_", "." or "-", not starting with "." or "-" (e.g. "v1.2" or "latest")`,
      { field, value: tag },
    );
  }
  return tag;
}

/** Checks a registry address such as "127.0.0.1:5000", "ghcr.io/my-org" or "registry.example.com:443/team". */
export function checkRegistryUrl(url: unknown, field = "registryUrl"): string {
  const fail = (why: string): never => {
    throw new SluiceError("INVALID_OPTION", `${field} ${showValue(url)} is not a registry address: ${why}`, { field, value: url });
  };
  if (typeof url !== "string" || url === "") return fail('give host[:port][/path], e.g. "127.0.0.1:5000" or "ghcr.io/my-org"');
  if (/^[a-z]+:\/\//i.test(url)) fail('leave out the scheme: give host[:port][/path], e.g. "127.0.0.1:5000"');
  const trimmed = url.replace(/\/+$/, "");
  const [host, ...path] = trimmed.split("/");
  const [hostname, port, ...extra] = host!.split(":");
  if (extra.length > 0 || hostname === undefined || !hostname.split(".").every((p) => DOMAIN_PART.test(p))) {
    fail(`"${host}" is not a host name or address`);
  }
  if (port !== undefined && !/^[0-9]{1,5}$/.test(port)) fail(`port "${port}" is not a number`);
  for (const part of path) if (!COMPONENT.test(part)) fail(`path part "${part}" must be lowercase letters and digits, separated by ".", "_" or "-"`);
  return trimmed;
}

/** `registry/name:tag`, or `name:tag` without a registry. */
export function fullImageName(registryUrl: string | undefined, name: string, tag: string): string {
  return `${registryUrl ? `${registryUrl}/` : ""}${name}:${tag}`;
}

/** Splits "repo:tag" (the repo may hold a registry port) into repository and tag; the tag defaults to "latest". */
export function splitImageReference(reference: string): { repository: string; tag: string } {
  const at = reference.indexOf("@");
  const base = at >= 0 ? reference.slice(0, at) : reference;
  const slash = base.lastIndexOf("/");
  const colon = base.lastIndexOf(":");
  if (colon > slash) return { repository: base.slice(0, colon), tag: base.slice(colon + 1) };
  return { repository: base, tag: "latest" };
}
