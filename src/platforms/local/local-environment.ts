/**
 * LocalEnvironment: the flow run happens in the current process, with the environment's
 * executor. `execute(flow)` is `run(flow)`; there is nothing to set up.
 *
 * ```ts
 * export const etl = flow("etl", { environment: new LocalEnvironment({ labels: ["dev"], executor: new ConcurrentExecutor() }) }, () => { ... });
 * ```
 */
import { Environment, type EnvironmentFlow, type EnvironmentOptions, type ExecuteOptions, type ExecuteResult } from "../../core/environment.js";

export type LocalEnvironmentOptions = EnvironmentOptions;

export class LocalEnvironment extends Environment {
  static readonly serializedType = "LocalEnvironment";

  constructor(options: LocalEnvironmentOptions = {}) {
    super(options);
  }

  /** Runs the flow here (that is, `run(flow)`), and resolves when it finished. */
  async execute(flow: EnvironmentFlow, options: ExecuteOptions = {}): Promise<ExecuteResult> {
    const { config: _config, flowId: _flowId, ...runOptions } = options;
    return { kind: "finished", result: await this.run(flow, runOptions) };
  }
}
