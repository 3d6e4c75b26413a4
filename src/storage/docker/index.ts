export { DockerStorage, LABEL_FLOWS } from "./docker-storage.js";
export type { DockerStorageOptions, CompiledDockerStorageOptions } from "./options.js";
