/** The API suite on SQLite (a file per server, in a temporary folder). */
import { describe } from "node:test";
import { sqliteTarget } from "./support.js";
import { apiSuite } from "./suite/index.js";

describe("Sluice API on SQLite", { timeout: 120_000 }, () => apiSuite(sqliteTarget()));
