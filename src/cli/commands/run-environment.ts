/**
 * The `--environment <kind>` and `--image <reference>` options of `sluice run`: run the flow through an
 * environment (e.g. in a Docker container, its image built or reused) instead of directly in this process.
 * The environment registry and what runs the flow there are imported only when --environment is given.
 */
import type { Command } from "commander";
import { SluiceError } from "../../core/errors.js";
import { isInteractive } from "../output.js";
import type { RunExtension } from "./run-extensions.js";

export const environmentRunExtension: RunExtension = {
  addOptions(command: Command): void {
    command
      .option("--environment <kind>", "run the flow through an environment kind: local, docker, kubernetes-job, ... (default: directly in this process)")
      .option("--image <reference>", "with --environment docker: run this existing image instead of building the flow's storage");
  },
  async launcher(options) {
    const kind = options.environment as string | undefined;
    const image = options.image as string | undefined;
    if (kind === undefined) {
      if (image !== undefined)
        throw new SluiceError(
          "INVALID_INPUT",
          "--image needs --environment docker (the environment that runs it): add --environment docker, or remove --image",
          { field: "--image", value: image },
        );
      return undefined;
    }
    if (image !== undefined && image.trim() === "")
      throw new SluiceError("INVALID_INPUT", `--image is ${JSON.stringify(image)}; give an image reference such as "127.0.0.1:5000/etl:v1"`, {
        field: "--image",
        value: image,
      });
    const { environmentKind } = await import("../../platforms/environment-registry.js");
    environmentKind(kind, "--environment");
    return async (plan) => {
      const [{ runInEnvironment }, { createBuildOutput }] = await Promise.all([
        import("../../platforms/run-in-environment.js"),
        import("../../storage/build-output.js"),
      ]);
      const output = createBuildOutput({ stream: process.stderr, interactive: isInteractive(process.stderr) });
      try {
        return await runInEnvironment({
          flow: plan.flow,
          kind,
          config: plan.config,
          runOptions: plan.runOptions,
          output,
          ...(image !== undefined ? { image } : {}),
        });
      } finally {
        output.done();
      }
    };
  },
};
