/**
 * Vite build of the web UI: root is this folder, output is dist/ui at the package root. The typed API
 * client is shared with Node code; its one Node import (`node:crypto` for idempotency keys) is mapped to
 * a browser shim so the same client runs in the page.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here("."),
  base: "/",
  plugins: [react()],
  resolve: {
    alias: [{ find: /^node:crypto$/, replacement: here("./shims/node-crypto.ts") }],
    conditions: ["sluice-source", "browser", "import", "module", "default"],
  },
  build: {
    outDir: here("../../dist/ui"),
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
  },
  worker: { format: "es" },
  server: { proxy: { "/api": "http://127.0.0.1:4200", "/health": "http://127.0.0.1:4200", "/docs": "http://127.0.0.1:4200" } },
});
