/**
 * Discovery documents: `/version`, `/api`, `/apis`, `/api/v1`, `/apis/batch`, `/apis/batch/v1`, and the
 * health endpoints. Enough for client-node's KubernetesObjectApi to map kinds to resources.
 */
import { resourceDefs, resourceList } from "./resources.js";

export const standinVersion = {
  major: "1",
  minor: "30",
  gitVersion: "v1.30.0-kube-standin",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2024-04-17T00:00:00Z",
  goVersion: "go1.22.2",
  compiler: "gc",
  platform: "linux/amd64",
};

function groups(): { name: string; versions: string[] }[] {
  const out = new Map<string, Set<string>>();
  for (const d of resourceDefs) if (d.group) (out.get(d.group) ?? out.set(d.group, new Set()).get(d.group)!).add(d.version);
  return [...out].map(([name, versions]) => ({ name, versions: [...versions] }));
}

function apiGroup(name: string, versions: string[]): Record<string, unknown> {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

/** The discovery answer for `path`, or undefined when `path` is not a discovery path. */
export function discovery(path: string, serverAddress: string): unknown {
  if (path === "/version" || path === "/version/") return standinVersion;
  if (path === "/healthz" || path === "/livez" || path === "/readyz") return "ok";
  if (path === "/api" || path === "/api/") {
    return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }] };
  }
  if (path === "/apis" || path === "/apis/") {
    return { kind: "APIGroupList", apiVersion: "v1", groups: groups().map((g) => apiGroup(g.name, g.versions)) };
  }
  if (path === "/api/v1" || path === "/api/v1/") return resourceList("", "v1");
  const m = /^\/apis\/([^/]+)(?:\/([^/]+))?\/?$/.exec(path);
  if (m) {
    const g = groups().find((x) => x.name === m[1]);
    if (!g) return undefined;
    if (!m[2]) return { kind: "APIGroup", apiVersion: "v1", ...apiGroup(g.name, g.versions) };
    if (g.versions.includes(m[2])) return resourceList(g.name, m[2]);
  }
  return undefined;
}
