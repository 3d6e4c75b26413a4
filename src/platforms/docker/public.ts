/** What the package exports of the Docker platform: its environment class (its launch code loads when it runs). */
export { DockerEnvironment, type DockerEnvironmentOptions } from "./docker-environment.js";
