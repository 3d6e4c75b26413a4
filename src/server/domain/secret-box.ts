/**
 * Encryption of secrets at rest: AES-256-GCM with a random 96-bit IV per value and the secret's name as
 * additional data (a ciphertext copied onto another name does not decrypt). Stored form:
 * `v1:<base64 iv>:<base64 tag>:<base64 ciphertext>`.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { SluiceError } from "../../core/errors.js";

const VERSION = "v1";

export class SecretBox {
  private readonly key: Buffer;

  /** @param key 32 raw bytes, or any string (hashed with SHA-256 to 32 bytes). */
  constructor(key: Buffer | string) {
    this.key = typeof key === "string" ? createHash("sha256").update(key, "utf8").digest() : key;
    if (this.key.length !== 32)
      throw new SluiceError("CONFIG_INVALID", `the secret encryption key must be 32 bytes, got ${this.key.length}`, { field: "server.encryptionKey" });
  }

  encrypt(name: string, value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    cipher.setAAD(Buffer.from(name, "utf8"));
    const data = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
    return [VERSION, iv.toString("base64"), cipher.getAuthTag().toString("base64"), data.toString("base64")].join(":");
  }

  decrypt(name: string, stored: string): unknown {
    const [version, iv, tag, data] = stored.split(":");
    if (version !== VERSION || iv === undefined || tag === undefined || data === undefined)
      throw new SluiceError("INTERNAL", `secret ${name} is stored in an unknown format`, { field: name });
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64"));
      decipher.setAAD(Buffer.from(name, "utf8"));
      decipher.setAuthTag(Buffer.from(tag, "base64"));
      const text = Buffer.concat([decipher.update(Buffer.from(data, "base64")), decipher.final()]).toString("utf8");
      return JSON.parse(text) as unknown;
    } catch (cause) {
      throw new SluiceError(
        "INTERNAL",
        `secret ${name} cannot be decrypted: the server's encryption key (SLUICE__SERVER__ENCRYPTION_KEY or <home>/secret.key) is not the one it was written with`,
        { field: name, cause },
      );
    }
  }
}
