export { startEcsStandin, type EcsStandin, type EcsStandinOptions } from "./standin.js";
export { ecsSuite } from "./suite.js";
export { loadServiceModels, validateRequest } from "./model.js";
