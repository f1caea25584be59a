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
    for (const p of this.paths) fs.rmSync(p, { force: true });
    this.paths.clear();
  }
}
