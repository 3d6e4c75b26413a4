/** How the long-running commands (`sluice agent start`, `sluice server start`) wait to be stopped. */

/** Resolves on the first SIGINT or SIGTERM, then stops listening for both. */
export function untilStopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.removeListener("SIGINT", stop);
      process.removeListener("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
