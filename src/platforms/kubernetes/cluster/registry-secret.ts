/**
 * The deprecated `privateRegistry` / `dockerSecret` options: in `setup`, turn a server secret
 * holding registry credentials into a `kubernetes.io/dockerconfigjson` Secret named `<namespace>-docker`,
 * when it does not exist yet; the default scheduler and worker pods then pull with it. The server secret
 * is a JSON object: { "docker-server", "docker-username", "docker-password", "docker-email"? }.
 */
import { SluiceError, showValue } from "../../../core/errors.js";
import { CREATED_BY_LABEL } from "../names.js";
import type { SecretManifest } from "./broker.js";

/** The server secret read when `dockerSecret` is not given. */
export const DEFAULT_DOCKER_SECRET = "DOCKER_REGISTRY_CREDENTIALS";

/** Name of the pull Secret in a namespace. */
export const registrySecretName = (namespace: string): string => `${namespace}-docker`;

export interface RegistryCredentials {
  server: string;
  username: string;
  password: string;
  email?: string;
}

/** Reads the credentials out of the server secret's value; a wrong shape is an error naming the secret and the key (never the values). */
export function registryCredentials(value: unknown, secretName: string): RegistryCredentials {
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      // reported below as not an object
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SluiceError(
      "INVALID_INPUT",
      `the server secret ${secretName} is not a JSON object; store { "docker-server", "docker-username", "docker-password", "docker-email" } in it`,
      {
        field: "dockerSecret",
        value: secretName,
        kind: "kubernetes-cluster",
      },
    );
  }
  const v = value as Record<string, unknown>;
  const text = (key: string, required: boolean): string | undefined => {
    const got = v[key];
    if (got === undefined && !required) return undefined;
    if (typeof got !== "string" || got === "") {
      throw new SluiceError(
        "INVALID_INPUT",
        `the server secret ${secretName} has no "${key}" string (it is ${got === undefined ? "missing" : `a ${typeof got}`}); add it`,
        {
          field: `dockerSecret.${key}`,
          value: secretName,
          kind: "kubernetes-cluster",
        },
      );
    }
    return got;
  };
  const email = text("docker-email", false);
  return {
    server: text("docker-server", true)!,
    username: text("docker-username", true)!,
    password: text("docker-password", true)!,
    ...(email ? { email } : {}),
  };
}

/** The `kubernetes.io/dockerconfigjson` Secret for `credentials` in `namespace`. */
export function registrySecret(namespace: string, credentials: RegistryCredentials): SecretManifest {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace)) {
    throw new SluiceError("INVALID_INPUT", `namespace ${showValue(namespace)} is not a valid Kubernetes namespace name`, {
      field: "context.namespace",
      value: namespace,
    });
  }
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64");
  const config = {
    auths: {
      [credentials.server]: {
        username: credentials.username,
        password: credentials.password,
        ...(credentials.email ? { email: credentials.email } : {}),
        auth,
      },
    },
  };
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: registrySecretName(namespace), labels: { [CREATED_BY_LABEL]: "kubernetes-cluster-environment" } },
    type: "kubernetes.io/dockerconfigjson",
    stringData: { ".dockerconfigjson": JSON.stringify(config) },
  };
}
