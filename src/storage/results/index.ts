/** Result stores: where values too large for the broker travel between a flow run and its workers. */
export { checkKey, isResultRef, isResultStore, type ResultRef, type ResultStore, type ResultStoreLocation } from "./result-store.js";
export { LocalDirectoryResultStore, type LocalDirectoryResultStoreOptions } from "./local-directory.js";
export { S3ResultStore, type S3ResultStoreOptions } from "./s3-result-store.js";
export { openResultStore, resultStoreFromSpec, type ResultStoreCredentials } from "./open.js";
export type { SigV4Credentials } from "./sigv4.js";
