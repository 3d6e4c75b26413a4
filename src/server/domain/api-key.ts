/**
 * API keys: `slk_<prefix>_<secret>`, 8 public characters to find the row and 43 secret ones (256 random
 * bits). Only SHA-256 of the whole key is stored: with 256 random bits a fast hash is as safe as a slow
 * one, and it keeps the check cheap on every request.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

const KEY_PATTERN = /^slk_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedKey {
  key: string;
  prefix: string;
  hash: string;
}

export const hashApiKey = (key: string): string => createHash("sha256").update(key, "utf8").digest("hex");

export function generateApiKey(): GeneratedKey {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const prefix = Array.from(randomBytes(8), (b) => alphabet[b % alphabet.length]).join("");
  const key = `slk_${prefix}_${randomBytes(32).toString("base64url")}`;
  return { key, prefix, hash: hashApiKey(key) };
}

/** The prefix of a well-formed key, else undefined. */
export const apiKeyPrefix = (key: string): string | undefined => KEY_PATTERN.exec(key)?.[1];

/** Constant-time comparison of a presented key with a stored hash. */
export function apiKeyMatches(key: string, storedHash: string): boolean {
  const a = Buffer.from(hashApiKey(key), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}
