/** The API suite on PostgreSQL (a schema per server in the test database, dropped at the end). */
import { serviceSuite } from "../support/services.js";
import { postgresTarget } from "./support.js";
import { apiSuite } from "./suite/index.js";

await serviceSuite(["postgres"], "Sluice API on PostgreSQL", () => apiSuite(postgresTarget()));
