/**
 * The parts of Kubernetes manifests Sluice reads or writes, as plain JSON shapes. Every other field is
 * carried through untouched (the index signatures), so a user's job spec keeps what Sluice does not know.
 */

/** A container environment variable: a plain value or a reference (e.g. to a Secret key). */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string; apiVersion?: string };
    [field: string]: unknown;
  };
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  [field: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  restartPolicy?: string;
  serviceAccountName?: string;
  imagePullSecrets?: { name: string }[];
  [field: string]: unknown;
}

export interface PodTemplate {
  metadata: ObjectMeta & { labels: Record<string, string> };
  spec: PodSpec;
}

/** A batch/v1 Job whose sections Sluice writes to (metadata, labels, template, containers) exist. */
export interface JobManifest {
  apiVersion: "batch/v1";
  kind: "Job";
  metadata: ObjectMeta & { labels: Record<string, string> };
  spec: {
    template: PodTemplate;
    backoffLimit?: number;
    activeDeadlineSeconds?: number;
    ttlSecondsAfterFinished?: number;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}
