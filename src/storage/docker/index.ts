/**
 * Docker image storage, and what the Docker platforms share with it: the Docker Engine client (image
 * build and push are storage's business; the docker platform runs containers with the same client) and
 * where a flow's files are inside its image. Code outside src/storage imports this entry only.
 */
export { DockerStorage, LABEL_FLOWS } from "./docker-storage.js";
export type { DockerStorageOptions, CompiledDockerStorageOptions } from "./options.js";
export { DockerEngine, engineMessage } from "./engine.js";
export { pathInImage } from "./image-paths.js";
export { slugify } from "./naming.js";
