export { LocalEnvironment, type LocalEnvironmentOptions } from "./local-environment.js";
