import fs from "node:fs";

/**
 * The temp files a run has beside its destinations right now. On Ctrl-C they are removed
 * synchronously, before the process exits, so that no half-written file stays behind.
 */
export class TempFiles {
  private readonly paths = new Set<string>();

  add(p: string): void {
    this.paths.add(p);
  }

  /** True when `p` was still listed (it may exist and is the caller's to remove). */
  delete(p: string): boolean {
    return this.paths.delete(p);
  }

  removeAllNow(): void {
    for (const p of this.paths) removeNow(p);
    this.paths.clear();
  }
}

/**
 * Removes a file or folder synchronously, for a signal handler. Task processes and helper
 * programs go on writing until the exit stops them, so a folder can gain a file between
 * rmSync's listing and its rmdir (ENOTEMPTY): it is tried again. Nothing may escape: an
 * error thrown here would print a stack trace and end the run with 1 instead of 130.
 */
export function removeNow(p: string): void {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      fs.rmSync(p, { recursive: true, force: true });
      return;
    } catch {
      // A file created during the removal: the next attempt takes it too.
    }
  }
}
