/** tar-fs, loaded on first use (Docker builds only). */
import type * as TarFs from "tar-fs";

export async function tarFs(): Promise<typeof TarFs> {
  const loaded = (await import("tar-fs")) as typeof TarFs & { default?: typeof TarFs };
  return loaded.default ?? loaded;
}
