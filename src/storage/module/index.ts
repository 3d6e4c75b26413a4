export { ModuleStorage, type ModuleStorageOptions } from "./module-storage.js";
