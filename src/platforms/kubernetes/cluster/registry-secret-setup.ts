/**
 * `setup(flow)` with the deprecated `privateRegistry`: reads the registry credentials from the server
 * secret and creates the pull Secret `<namespace>-docker` in the run's namespace, unless it exists. The
 * credentials are never logged; what happened is logged on the run.
 */
import { defaultConfig } from "../../../config/defaults.js";
import type { ExecuteOptions } from "../../../core/environment.js";
import { SluiceError } from "../../../core/errors.js";
import { KubernetesApiError } from "../api-error.js";
import { logOnRun, withRunLog } from "../launch.js";
import { ClusterApi } from "./cluster-api.js";
import { registryCredentials, registrySecret, registrySecretName } from "./registry-secret.js";

/** Creates the pull Secret from the server secret `dockerSecret` when it is missing; resolves to whether it was created. */
export async function ensureRegistrySecret(owner: string, dockerSecret: string, options: ExecuteOptions): Promise<boolean> {
  return withRunLog(owner, options, async () => {
    const config = options.config ?? defaultConfig();
    const namespace = config.context.namespace;
    const name = registrySecretName(namespace);
    const flowRunId = options.flowRunId ?? config.context.flowRunId ?? "(setup)";
    const api = await ClusterApi.connect(config.kubernetes);
    if (await api.readSecret(namespace, name)) {
      logOnRun(options, flowRunId, "debug", `${owner}: registry pull Secret ${name} exists in namespace ${namespace}`);
      return false;
    }
    const { createClient } = await import("../../../client/index.js");
    const client = createClient({ url: config.api.url, ...(config.api.key !== undefined ? { apiKey: config.api.key } : {}) });
    let value: unknown;
    try {
      value = await client.getSecret(dockerSecret);
    } catch (error) {
      throw new SluiceError(
        "ENVIRONMENT_ERROR",
        `${owner}: privateRegistry needs the server secret ${dockerSecret} (registry credentials), which could not be read from ${config.api.url}: ${(error as Error).message}`,
        { field: "dockerSecret", value: dockerSecret, kind: "kubernetes-cluster", cause: error },
      );
    }
    try {
      await api.createSecret(namespace, registrySecret(namespace, registryCredentials(value, dockerSecret)));
    } catch (error) {
      if (error instanceof KubernetesApiError && error.reason === "AlreadyExists") return false; // another setup made it meanwhile
      throw error;
    }
    logOnRun(options, flowRunId, "info", `${owner}: created registry pull Secret ${name} in namespace ${namespace} from the server secret ${dockerSecret}`);
    return true;
  });
}
