/** Every fault scenario, in the order the runner runs them. Add a scenario: one file, one line here. */
import type { ChaosScenario } from "../scenario.js";
import { agentSigkill } from "./agent-sigkill.js";
import { agentsBacklog } from "./agents-backlog.js";
import { backlog10k } from "./backlog-10k.js";
import { diskFull } from "./disk-full.js";
import { networkCut } from "./network-cut.js";
import { postgresRestart } from "./postgres-restart.js";
import { redisRestart } from "./redis-restart.js";
import { serverSigkillPostgres, serverSigkillSqlite } from "./server-sigkill.js";
import { workerSigkill } from "./worker-sigkill.js";

export const scenarios: readonly ChaosScenario[] = [
  workerSigkill,
  redisRestart,
  networkCut,
  serverSigkillSqlite,
  serverSigkillPostgres,
  postgresRestart,
  diskFull,
  agentSigkill,
  agentsBacklog,
  backlog10k,
];
