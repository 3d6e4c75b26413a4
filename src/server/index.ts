/**
 * The Sluice server: HTTP API over SQLite or PostgreSQL, plus its services. The CLI starts it with
 * `startServer`; `sluice auth create-key` uses `createApiKeyInDatabase`.
 */
export { startServer, isLoopback, type RunningServer, type ServerServices, type StartServerOptions } from "./start.js";
export { createApiKeyInDatabase, databaseUrlOf, loadSecretBox } from "./bootstrap.js";
export { openApiDocument } from "./openapi.js";
export { openDatabase, parseDatabaseUrl, SluiceDatabase } from "./database/index.js";
export { agentAccepts, defaultAcceptUnlabelled, normalizeLabels } from "./domain/labels.js";
export { ZombieKiller } from "./services/zombie-killer.js";
export { Resurrection } from "./services/resurrection.js";
export { Cancellation } from "./services/cancellation.js";
export { Scheduler } from "./services/scheduler.js";
export { Leadership } from "./services/leadership.js";
