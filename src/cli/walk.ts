import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";

/**
 * One thing found under the paths given: a file to clean, or something passed over. `path` is
 * as the user wrote it, joined with the names below it (what reports show).
 */
export type Found =
  | { kind: "file"; path: string; /** Path from the root given on the command line, for `--out`. */ relative: string; size: number }
  | { kind: "passed"; path: string; reason: "link" | "special file" | "not found" };

export interface WalkOptions {
  /** Folders never entered (the `--out` folder when it lies inside a tree being cleaned). */
  exclude: readonly string[];
}

/**
 * The files under each path, depth first, read lazily: one open directory handle per level and
 * nothing kept, so a tree of any size walks in flat memory. Links met inside a folder are not
 * followed (a loop, or a way out of the tree); a path given by name is. Our own outputs
 * (`*.cleaned.*`, temp names) are not walked into again.
 */
export async function* walk(roots: readonly string[], opts: WalkOptions): AsyncGenerator<Found> {
  const exclude = new Set(opts.exclude.map((p) => path.resolve(p)));
  for (const root of roots) {
    let stat: fs.Stats;
    try {
      stat = await fsp.stat(root);
    } catch {
      yield { kind: "passed", path: root, reason: "not found" };
      continue;
    }
    const name = path.basename(path.resolve(root));
    if (stat.isDirectory()) yield* walkDir(path.normalize(root), name, exclude);
    else if (stat.isFile()) yield { kind: "file", path: root, relative: name, size: stat.size };
    else yield { kind: "passed", path: root, reason: "special file" };
  }
}

async function* walkDir(dir: string, relative: string, exclude: ReadonlySet<string>): AsyncGenerator<Found> {
  if (exclude.has(path.resolve(dir))) return;
  const handle = await fsp.opendir(dir);
  for await (const entry of handle) {
    const full = path.join(dir, entry.name);
    const rel = path.join(relative, entry.name);
    if (entry.isDirectory()) yield* walkDir(full, rel, exclude);
    else if (entry.isSymbolicLink()) yield { kind: "passed", path: full, reason: "link" };
    else if (!entry.isFile()) yield { kind: "passed", path: full, reason: "special file" };
    else if (!isOwnOutput(entry.name)) {
      const size = await fsp.stat(full).then((s) => s.size, () => 0);
      yield { kind: "file", path: full, relative: rel, size };
    }
  }
}

/** A clean copy or a temp file written by an earlier run: cleaning it again would only duplicate it. */
export function isOwnOutput(name: string): boolean {
  return /\.cleaned(\.[^.]+)*$/.test(name) || isTempName(name);
}

/** Temp names of this tool: hidden, and marked so that an interrupted run's leftovers are recognised. */
export function tempNameFor(final: string, id: string): string {
  return path.join(path.dirname(final), `.${path.basename(final).slice(0, 100)}.exifapi-${id}.tmp`);
}

function isTempName(name: string): boolean {
  return /^\..*\.exifapi-[0-9a-f-]+\.tmp$/.test(name);
}
