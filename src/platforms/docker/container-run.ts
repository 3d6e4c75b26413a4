/**
 * Runs one flow run in a container and follows it: create (labels tie it to the run), attach, start,
 * stream its output (run events → observers, other lines → the run's logs), wait for its exit, and
 * always remove it. A cancelled run stops the container with SIGINT, the signal Sluice's entry takes as a
 * cancel (SIGTERM would mean "stopped from outside" and end the run Failed), then SIGKILL after the grace
 * time.
 */
import { PassThrough } from "node:stream";
import { constants } from "node:os";
import type Docker from "dockerode";
import { SluiceError } from "../../core/errors.js";
import type { LogLevel, RunEvent } from "../../core/events.js";
import type { BuildOutput } from "../../core/storage.js";
import { DockerEngine, engineMessage } from "../../storage/docker/index.js";
import { parseOutputLine, type WireResult } from "../../deployment/contract.js";

export interface ContainerRunSpec {
  engineHost: string | undefined;
  image: string;
  /** "missing": pull only when the engine does not have the image; "always"; "never". */
  pull: "missing" | "always" | "never";
  cmd: string[];
  env: string[];
  labels: Record<string, string>;
  networkMode: string | undefined;
  /** Grace time between SIGINT and SIGKILL when the run is cancelled. */
  stopTimeoutMs: number;
  flowRunId: string;
  signal: AbortSignal | undefined;
  /** Every event the container reports, in order. */
  onEvent: (event: RunEvent) => void;
  /** A line of the container that is not an event (stdout or stderr). */
  onOutput: (line: string, stream: "stdout" | "stderr") => void;
  /** Pull progress, when the image is pulled. */
  output?: BuildOutput;
}

export interface ContainerExit {
  containerId: string;
  exitCode: number;
  /** The signal that killed the main process, from an exit code above 128. */
  signal: NodeJS.Signals | undefined;
  oomKilled: boolean;
  /** True when the container was stopped because the run was cancelled. */
  cancelled: boolean;
  /** The result line, when the run got that far. */
  result: WireResult | undefined;
  /** The last lines of stderr, for messages. */
  stderrTail: string[];
}

/** The signal behind an exit code above 128 (137 → SIGKILL). */
export function signalOfExitCode(code: number): NodeJS.Signals | undefined {
  if (code <= 128) return undefined;
  const number = code - 128;
  return (Object.entries(constants.signals) as [NodeJS.Signals, number][]).find(([, n]) => n === number)?.[0];
}

function lines(stream: PassThrough, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    let buffer = "";
    stream.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        onLine(buffer.slice(0, nl).replace(/\r$/, ""));
        buffer = buffer.slice(nl + 1);
      }
    });
    stream.on("end", () => {
      if (buffer !== "") onLine(buffer);
      resolve();
    });
  });
}

async function ensureImage(engine: DockerEngine, spec: ContainerRunSpec): Promise<void> {
  const present = spec.pull === "always" ? false : (await engine.inspectImage(spec.image)) !== null;
  if (present) return;
  if (spec.pull === "never") {
    throw new SluiceError(
      "ENVIRONMENT_ERROR",
      `image ${spec.image} is not in the Docker engine at ${engine.address} and pull is "never"; build it (sluice build) or set pull: "missing"`,
      {
        field: "image",
        value: spec.image,
        kind: "docker",
        flowRunId: spec.flowRunId,
      },
    );
  }
  try {
    await engine.pull(spec.image, spec.output);
  } catch (error) {
    throw new SluiceError("ENVIRONMENT_ERROR", (error as Error).message, {
      field: "image",
      value: spec.image,
      kind: "docker",
      flowRunId: spec.flowRunId,
      cause: error,
    });
  }
}

/** Runs the container to its end and removes it. Rejects only when the container could not be run. */
export async function runContainer(spec: ContainerRunSpec): Promise<ContainerExit> {
  const engine = await DockerEngine.connect(spec.engineHost);
  await ensureImage(engine, spec);
  let container: Docker.Container;
  try {
    container = await engine.docker.createContainer({
      Image: spec.image,
      Cmd: spec.cmd,
      Env: spec.env,
      Labels: spec.labels,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      HostConfig: { AutoRemove: false, ...(spec.networkMode ? { NetworkMode: spec.networkMode } : {}) },
    });
  } catch (error) {
    throw new SluiceError("ENVIRONMENT_ERROR", `creating a container from ${spec.image} failed: ${engineMessage(error)}`, {
      kind: "docker",
      flowRunId: spec.flowRunId,
      cause: error,
    });
  }
  let cancelled = false;
  let killer: NodeJS.Timeout | undefined;
  let result: WireResult | undefined;
  const stderrTail: string[] = [];
  const onAbort = (): void => {
    cancelled = true;
    container.kill({ signal: "SIGINT" }).catch(() => undefined);
    killer = setTimeout(() => void container.kill({ signal: "SIGKILL" }).catch(() => undefined), spec.stopTimeoutMs);
  };
  try {
    const attached = await container.attach({ stream: true, stdout: true, stderr: true });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    engine.docker.modem.demuxStream(attached, stdout, stderr);
    attached.on("end", () => {
      stdout.end();
      stderr.end();
    });
    const outDone = lines(stdout, (line) => {
      const parsed = parseOutputLine(line);
      if (parsed.kind === "event") spec.onEvent(parsed.event);
      else if (parsed.kind === "result") result = parsed.result;
      else if (line.trim() !== "") spec.onOutput(line, "stdout");
    });
    const errDone = lines(stderr, (line) => {
      if (line.trim() === "") return;
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
      spec.onOutput(line, "stderr");
    });
    if (spec.signal?.aborted) throw new SluiceError("CANCELLED", "the flow run was cancelled before its container started", { flowRunId: spec.flowRunId });
    spec.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await container.start();
    } catch (error) {
      throw new SluiceError("ENVIRONMENT_ERROR", `starting the container of ${spec.image} failed: ${engineMessage(error)}`, {
        kind: "docker",
        flowRunId: spec.flowRunId,
        cause: error,
      });
    }
    const waited = (await container.wait()) as { StatusCode?: number };
    await Promise.race([Promise.all([outDone, errDone]), new Promise((r) => setTimeout(r, 2000).unref())]);
    const state = (await container.inspect()).State;
    const exitCode = waited.StatusCode ?? state.ExitCode ?? 1;
    return { containerId: container.id, exitCode, signal: signalOfExitCode(exitCode), oomKilled: state.OOMKilled === true, cancelled, result, stderrTail };
  } finally {
    clearTimeout(killer);
    spec.signal?.removeEventListener("abort", onAbort);
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** The log level of a container line that is not an event. */
export const levelOfOutput = (stream: "stdout" | "stderr"): LogLevel => (stream === "stderr" ? "warn" : "info");
