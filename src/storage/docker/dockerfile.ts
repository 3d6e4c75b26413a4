/**
 * The Dockerfile of a flow image, as a pure function of what goes in (tested with plain objects).
 * Layers that change least come first: env, npm dependencies, files, then the flow bundles and the
 * health check that loads every flow.
 */
import { SluiceError } from "../../core/errors.js";

/** Where flow bundles, their manifest and their npm dependencies live in the image. */
export const IMAGE_FLOWS_DIR = "/opt/sluice/flows";
export const IMAGE_MANIFEST = `${IMAGE_FLOWS_DIR}/manifest.json`;

export interface FlowDockerfilePlan {
  /** The image to build FROM (Sluice's runtime image). */
  from: string;
  /** Environment variables set in the image. */
  env: Record<string, string>;
  /** True when the context holds deps/node_modules (the flows' npm dependencies). */
  dependencies: boolean;
  /** Copies: path in the build context → absolute path in the image. */
  files: { contextPath: string; destination: string }[];
  /** Run the health check (load every flow) as a build step. */
  healthCheck: boolean;
}

/** Quotes an ENV value: double quotes, with \ " and $ escaped (no variable expansion). */
function envValue(name: string, value: string): string {
  if (/[\r\n]/.test(value)) {
    throw new SluiceError(
      "INVALID_OPTION",
      `DockerStorage: env.${name} contains a line break, which a Dockerfile ENV cannot hold; put multi-line values in a file (files option)`,
      {
        field: `env.${name}`,
      },
    );
  }
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

/** The Dockerfile text for `plan`. */
export function flowDockerfile(plan: FlowDockerfilePlan): string {
  const lines = [`FROM ${plan.from}`];
  const env = Object.entries(plan.env);
  if (env.length > 0) lines.push(`ENV ${env.map(([name, value]) => `${name}=${envValue(name, value)}`).join(" \\\n    ")}`);
  if (plan.dependencies) lines.push(`COPY ${JSON.stringify(["deps/node_modules", `${IMAGE_FLOWS_DIR}/node_modules`])}`);
  for (const file of plan.files) lines.push(`COPY ${JSON.stringify([file.contextPath, file.destination])}`);
  lines.push(`COPY ${JSON.stringify(["flows", IMAGE_FLOWS_DIR])}`);
  if (plan.healthCheck) lines.push(`RUN ${JSON.stringify(["sluice", "execute", "health-check", "--manifest", IMAGE_MANIFEST])}`);
  return `${lines.join("\n")}\n`;
}
