/**
 * A kubeconfig for the stand-in: as a client-node KubeConfig object and as a YAML file (for a spawned
 * CLI through KUBECONFIG). Plain HTTP needs `insecure-skip-tls-verify: true`: client-node 1.4.0
 * refuses an `http:` server otherwise.
 */
import { KubeConfig } from "@kubernetes/client-node";
import { writeFile } from "node:fs/promises";
import { stringify } from "yaml";

export interface KubeconfigSpec {
  server: string;
  namespace: string;
  token: string;
}

export function kubeconfigDocument(spec: KubeconfigSpec): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "kube-standin", cluster: { server: spec.server, "insecure-skip-tls-verify": true } }],
    users: [{ name: "kube-standin-user", user: { token: spec.token } }],
    contexts: [{ name: "kube-standin", context: { cluster: "kube-standin", user: "kube-standin-user", namespace: spec.namespace } }],
    "current-context": "kube-standin",
    preferences: {},
  };
}

export function makeKubeConfig(spec: KubeconfigSpec): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(stringify(kubeconfigDocument(spec)));
  return kc;
}

export async function writeKubeconfig(path: string, spec: KubeconfigSpec): Promise<void> {
  await writeFile(path, stringify(kubeconfigDocument(spec)), { mode: 0o644 });
}
