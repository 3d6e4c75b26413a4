export { DockerEnvironment, type DockerEnvironmentOptions } from "./docker-environment.js";
