/** Helpers shared by several routes. */
import type { Flow } from "../../api/flows.js";
import type { ServerContext } from "../context.js";
import { validationError } from "../http/errors.js";

/**
 * The flow's defaults overlaid with `given`, validated against the flow's parameter schema: a 422
 * INVALID_PARAMETER naming each bad field (`parameters.<name>`) otherwise.
 */
export function checkedParameters(ctx: ServerContext, flow: Flow, given: Record<string, unknown>): Record<string, unknown> {
  const parameters = { ...flow.parameterDefaults, ...given };
  const errors = ctx.parameters.check(flow.parameterSchema, parameters, flow.contentHash);
  if (errors.length > 0) throw validationError(errors, `parameters for flow ${flow.name} v${flow.version}`, "INVALID_PARAMETER");
  return parameters;
}
