/**
 * What the platforms use of the deployed-run contract: the labels that tie a run's resources together,
 * the variables every launched run gets, the image of a flow's storage, and the event lines a launched
 * process writes. A light entry (no reporter, no flow-run entry), so a platform's environment classes can
 * import it without loading the deployed-run machinery.
 */
export { AGENT_LABEL, FLOW_RUN_ID_LABEL, IDENTIFIER_LABEL } from "./labels.js";
export { RUN_CONTRACT_VARIABLES, envList, inheritedRunSettings, runContractEnv, type RunContractInput, type RunContractVariable } from "./run-contract.js";
export { parseOutputLine, type WireResult } from "./event-lines.js";
export { storageImage } from "./prepare.js";
