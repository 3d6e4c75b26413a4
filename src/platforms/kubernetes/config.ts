/**
 * The Kubernetes platform's configuration, `config.kubernetes`: how to reach the cluster, how launched
 * pods get the API key, and the Kubernetes agent's settings. Light: the configuration schema imports it
 * through the platform list.
 */
import type { ConfigKit } from "../../config/kit.js";
import type { Zod } from "../../core/zod.js";

/** Keys of `config.kubernetes`. */
export const kubernetesSection = (z: Zod, { bool, list }: ConfigKit) => ({
  /** Kubeconfig file of the cluster Sluice launches Jobs in. @default undefined (the client's search: KUBECONFIG, ~/.kube/config, then the in-cluster service account) */
  kubeconfig: z.string().min(1).optional(),
  /** Context of the kubeconfig to use. @default undefined (its current-context) */
  context: z.string().min(1).optional(),
  /** Name of a Secret (in the run's namespace) holding the API key; launched pods get SLUICE__API__KEY from it instead of a plain value. @default undefined */
  apiKeySecretName: z.string().min(1).optional(),
  /** Key of the API key inside that Secret. @default "api-key" */
  apiKeySecretKey: z.string().min(1),
  /** Kubernetes agent: the namespace it creates and manages Jobs in. @default "default" */
  namespace: z.string().min(1),
  /** Kubernetes agent: service account of its Jobs' pods (it needs RBAC on jobs to launch stage "run"). @default undefined (the template's, else the namespace's default) */
  serviceAccountName: z.string().min(1).optional(),
  /** Kubernetes agent: image pull secrets of its Jobs' pods, by name. @default [] */
  imagePullSecrets: list,
  /** Kubernetes agent: a batch/v1 Job YAML its Jobs start from (resources, node selectors, ...). @default undefined (a built-in template) */
  jobTemplate: z.string().min(1).optional(),
  /** Kubernetes agent: delete Jobs once they finished (foreground propagation: their pods first). @default true */
  deleteFinishedJobs: bool,
});

/** The Kubernetes platform's configuration fragment. */
export const kubernetesConfig = {
  name: "kubernetes",
  section: kubernetesSection,
  defaults: { section: { apiKeySecretKey: "api-key", namespace: "default", imagePullSecrets: [], deleteFinishedJobs: true } },
} as const;
