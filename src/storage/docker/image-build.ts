/**
 * What DockerStorage needs only to build an image (the engine client, the base and runtime images, the
 * build context, tar): imported by `build()` on first use, so importing Sluice, or a flow that declares
 * DockerStorage, loads none of it.
 */
export { ensureBaseImage } from "./base-image.js";
export { BuildError, DockerEngine } from "./engine.js";
export { writeFlowContext } from "./flow-context.js";
export { healthCheckFailures } from "./healthcheck.js";
export { ensureRuntimeImage, LABEL_KIND, LABEL_VERSION } from "./runtime-image.js";
export { tarFs } from "./tar.js";
