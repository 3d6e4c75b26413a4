/** The server's database: the only folder that imports a database driver (loaded lazily by openDatabase). */
export { openDatabase, parseDatabaseUrl, redactUrl, SluiceDatabase, type DatabaseLocation } from "./database.js";
export { LATEST_MIGRATION } from "./migrations.js";
export type { Dialect, SqlDriver, SqlExecutor } from "./driver.js";
export type { FlowRunRow } from "./flow-run-rows.js";
export type { TaskRunUpdate } from "./task-run-rows.js";
export type { ScheduleDefinition, ScheduleRow } from "./schedules-repository.js";
