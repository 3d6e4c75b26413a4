/**
 * The deployment matrix as the Markdown table docs/agents.md prints (checked by matrix.test.ts; to update
 * the page, paste what the failing check prints).
 */
import { deploymentMatrix, agentKindsFor, type MatrixCell } from "../../src/platforms/capabilities.js";

const mark = (cell: MatrixCell): string => {
  if (cell.how === "launches") return "runs (launched by the agent)";
  if (cell.how === "in place") return "runs (in the agent's stage deploy; needs Docker storage)";
  return `refused at claim (runs on: ${agentKindsFor(cell.type).join(", ")})`;
};

export function matrixTable(): string {
  const cells = deploymentMatrix();
  const agents = [...new Set(cells.map((c) => c.agent))];
  const types = [...new Set(cells.map((c) => c.type))];
  const cellOf = (type: string, agent: string): MatrixCell => cells.find((c) => c.type === type && c.agent === agent)!;
  return [
    `| environment | ${agents.map((a) => `${a} agent`).join(" | ")} |`,
    `| --- | ${agents.map(() => "---").join(" | ")} |`,
    ...types.map((type) => `| \`${type}\` | ${agents.map((a) => mark(cellOf(type, a))).join(" | ")} |`),
  ].join("\n");
}
