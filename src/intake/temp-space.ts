import crypto from "node:crypto";
import fsp from "node:fs/promises";
import path from "node:path";

/**
 * Temp files of one process live in `DATA_DIR/tmp/<pid>-<random>/`, under generated names
 * with no extension. A folder whose process is gone is a crash's leftover and is swept at start.
 */
export interface TempSpace {
  dir: string;
  /** A fresh path inside this process's folder (the file does not exist yet). */
  newPath(): string;
  remove(p: string): Promise<void>;
  /** Removes a folder of this space with what it holds; a folder already gone is fine. */
  removeDir(p: string): Promise<void>;
  /** Removes this process's folder (at shutdown). */
  close(): Promise<void>;
}

export async function createTempSpace(dataDir: string): Promise<{ space: TempSpace; swept: number }> {
  const root = path.join(dataDir, "tmp");
  await fsp.mkdir(root, { recursive: true });
  const swept = await sweepLeftovers(root);
  const dir = path.join(root, `${process.pid}-${crypto.randomBytes(4).toString("hex")}`);
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  return {
    swept,
    space: {
      dir,
      newPath: () => path.join(dir, crypto.randomUUID()),
      remove: async (p) => {
        // A plain unlink: temp entries are files, and rm's lstat-then-unlink showed in profiles.
        await fsp.unlink(p).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== "ENOENT") throw err;
        });
      },
      removeDir: async (p) => {
        // Work folders are empty once their work ended (each cleaning removes its own sub-folder):
        // one rmdir, where rm's recursive walk costs two stats first. What a stopped task left
        // behind is walked and removed.
        await fsp.rmdir(p).catch(async (err: NodeJS.ErrnoException) => {
          if (err.code === "ENOENT") return;
          if (err.code !== "ENOTEMPTY" && err.code !== "EEXIST") throw err;
          await fsp.rm(p, { recursive: true, force: true });
        });
      },
      close: () => fsp.rm(dir, { recursive: true, force: true }),
    },
  };
}

async function sweepLeftovers(root: string): Promise<number> {
  let swept = 0;
  for (const entry of await fsp.readdir(root)) {
    const pid = Number(entry.split("-")[0]);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) continue;
    await fsp.rm(path.join(root, entry), { recursive: true, force: true });
    swept++;
  }
  return swept;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
