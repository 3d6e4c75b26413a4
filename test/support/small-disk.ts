/**
 * A small file system of a test's own (a tmpfs mounted on a new directory) and a way to fill it to the
 * last byte, for tests of what happens when the disk is full. Mounting needs root or CAP_SYS_ADMIN.
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SmallDisk {
  /** Where it is mounted. */
  dir: string;
  /** Writes a filler file until no byte is left; answers its path (remove it to give the space back). */
  fill(): string;
  /** Unmounts it and removes the directory. */
  remove(): void;
}

/** Mounts a tmpfs of `megabytes` on a new directory; answers it, or the reason it cannot be mounted. */
export function mountSmallDisk(megabytes: number, name: string): SmallDisk | { reason: string } {
  const dir = mkdtempSync(join(tmpdir(), `sluice-${name}-`));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${megabytes}m`, "tmpfs", dir], { stdio: "pipe" });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return { reason: `cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): ${stderr || (error as Error).message}` };
  }
  return {
    dir,
    fill: () => fillDisk(dir),
    remove() {
      execFileSync("umount", [dir], { stdio: "pipe" });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function fillDisk(dir: string): string {
  const path = join(dir, `filler-${Date.now()}`);
  const fd = openSync(path, "w");
  try {
    // Large writes first, then smaller ones, down to single bytes: the last byte is taken too.
    for (const size of [1 << 20, 64 << 10, 4 << 10, 512, 1]) {
      const chunk = Buffer.alloc(size, 0x5a);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOSPC") break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}
