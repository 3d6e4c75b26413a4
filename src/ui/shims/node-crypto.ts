/**
 * The browser stand-in for the one `node:crypto` function the API client uses. `crypto.randomUUID` exists
 * only in secure contexts (https or localhost), so a page served over plain http on another host falls
 * back to a version-4 UUID built from `getRandomValues`.
 */
export function randomUUID(): string {
  if (typeof globalThis.crypto.randomUUID === "function" && globalThis.isSecureContext) return globalThis.crypto.randomUUID();
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
