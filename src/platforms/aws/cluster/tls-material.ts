/**
 * TLS material for one run's broker, made here without OpenSSL: a P-256 key and a self-signed X.509
 * certificate (DER built by hand, signed with ECDSA-SHA256 by node:crypto). The certificate is its own
 * CA: the scheduler and the workers trust exactly this certificate, for this run, and nothing else. It
 * names `serverName` (checked by the clients as SNI) and, when given, the IP addresses the broker answers on.
 */
import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { isIP } from "node:net";
import { SluiceError } from "../../../core/errors.js";

/** PEM texts of a broker's TLS material. */
export interface TlsMaterial {
  /** The server certificate (PEM). */
  cert: string;
  /** Its private key (PEM, PKCS#8). */
  key: string;
  /** What clients trust (PEM): the certificate itself when self-signed, else the CA the user gave. */
  ca: string;
}

/** DER: tag, definite length, content. */
function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let length: Buffer;
  if (n < 0x80) length = Buffer.from([n]);
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
    length = Buffer.from([0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

const seq = (...items: Buffer[]): Buffer => der(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => der(0x31, Buffer.concat(items));

function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map(Number);
  const bytes: number[] = [40 * parts[0]! + parts[1]!];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [];
    let v = part;
    do {
      chunk.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

/** An unsigned big-endian INTEGER (a leading zero keeps it positive). */
const integer = (bytes: Buffer): Buffer => der(0x02, bytes[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
const utf8 = (text: string): Buffer => der(0x0c, Buffer.from(text, "utf8"));

/** UTCTime YYMMDDHHMMSSZ (valid for years before 2050). */
function utcTime(date: Date): Buffer {
  const two = (n: number) => String(n).padStart(2, "0");
  const text = `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}Z`;
  return der(0x17, Buffer.from(text, "ascii"));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split(".").map(Number));
  const [head, tail = ""] = ip.split("::");
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const h = groups(head!);
  const t = groups(tail);
  const all = ip.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  return Buffer.from(all.flatMap((g) => [(parseInt(g, 16) >> 8) & 0xff, parseInt(g, 16) & 0xff]));
}

export interface SelfSignedOptions {
  /** DNS name clients check (servername / SNI). */
  serverName: string;
  /** IP addresses the certificate also names. @default [] */
  ipAddresses?: readonly string[];
  /** How long the certificate is valid, in ms. @default 7 days */
  validForMs?: number;
  /** Now, for tests. @default new Date() */
  now?: Date;
}

/** A fresh key and a self-signed certificate for `serverName` (and the IPs), valid from one hour ago. */
export function selfSignedMaterial(options: SelfSignedOptions): TlsMaterial {
  const ips = options.ipAddresses ?? [];
  for (const ip of ips) {
    if (isIP(ip) === 0) throw new SluiceError("INVALID_OPTION", `broker TLS: ${JSON.stringify(ip)} is not an IP address`, { field: "ipAddresses", value: ip });
  }
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 3_600_000);
  const notAfter = new Date(now.getTime() + (options.validForMs ?? 7 * 86_400_000));
  const signature = seq(oid("1.2.840.10045.4.3.2"));
  const name = seq(set(seq(oid("2.5.4.3"), utf8(options.serverName))));
  const altNames = seq(der(0x82, Buffer.from(options.serverName, "ascii")), ...ips.map((ip) => der(0x87, ipBytes(ip))));
  const extensions = der(
    0xa3,
    seq(
      seq(oid("2.5.29.17"), der(0x04, altNames)),
      // basicConstraints CA:TRUE, critical: the certificate is its own trust anchor.
      seq(oid("2.5.29.19"), der(0x01, Buffer.from([0xff])), der(0x04, seq(der(0x01, Buffer.from([0xff]))))),
    ),
  );
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const tbs = seq(
    der(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    signature,
    name,
    seq(utcTime(notBefore), utcTime(notAfter)),
    name,
    publicKey.export({ type: "spki", format: "der" }),
    extensions,
  );
  const signed = sign("sha256", tbs, privateKey);
  const certificate = seq(tbs, signature, der(0x03, Buffer.concat([Buffer.from([0]), signed])));
  const lines = certificate.toString("base64").match(/.{1,64}/g)!;
  const cert = `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
  return { cert, key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(), ca: cert };
}

/** Checks PEM material given by the user: the certificate parses and matches the key. `field` names the option in errors. */
export function checkMaterial(material: TlsMaterial, field: string): TlsMaterial {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(material.cert);
  } catch (cause) {
    throw new SluiceError("INVALID_OPTION", `${field}.certFile does not hold a PEM certificate: ${(cause as Error).message}`, {
      field: `${field}.certFile`,
      cause,
    });
  }
  let matches: boolean;
  try {
    matches = certificate.checkPrivateKey(createPrivateKey(material.key));
  } catch (cause) {
    throw new SluiceError("INVALID_OPTION", `${field}.keyFile does not hold a PEM private key: ${(cause as Error).message}`, {
      field: `${field}.keyFile`,
      cause,
    });
  }
  if (!matches) {
    throw new SluiceError("INVALID_OPTION", `${field}.keyFile is not the key of ${field}.certFile; give the private key the certificate was issued for`, {
      field: `${field}.keyFile`,
    });
  }
  return material;
}
