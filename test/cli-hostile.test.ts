import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { docxWithManyContentTypes, svgWithAttributes } from "./helpers/make-hostile.js";
import { makeJpeg, makePng } from "./helpers/make-images.js";
import { findMarker } from "./helpers/marker-scan.js";
import { ROOT } from "./helpers/server.js";

/*
 * Issue 12 for the command line: `exifapi clean` and `exifapi inspect` parse files in the service's
 * worker threads, so a file built to exhaust memory fails alone, with a line that says so, and the
 * batch goes on. The tool runs as a user runs it (bin/exifapi in a child process) with its main
 * heap bounded as on a small machine: a file parsed in the tool's own thread would take it down.
 */

const MARKER = `CliHostile_${crypto.randomBytes(4).toString("hex")}`;
const BIN = path.join(ROOT, "bin", "exifapi");

let dir: string;
let tree: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "cli-hostile-"));
  tree = path.join(dir, "tree");
  await fsp.mkdir(tree);
  const scratch = await fsp.mkdtemp(path.join(dir, "make-"));
  await fsp.copyFile(await makeJpeg(scratch, MARKER), path.join(tree, "a photo.jpg"));
  // A DOCX whose package part's tree outgrows a worker's heap (see hostile-files.test.ts).
  await fsp.writeFile(path.join(tree, "heap.docx"), await docxWithManyContentTypes(99_000));
  // An SVG of 1.2 million attributes: refused by its shape before ExifTool or a DOM reads it.
  await fsp.writeFile(path.join(tree, "attributes.svg"), svgWithAttributes(12_000, 100));
  await fsp.copyFile(await makePng(scratch, MARKER), path.join(tree, "text.png"));
}, 60_000);

afterAll(async () => {
  if (dir != null) await fsp.rm(dir, { recursive: true, force: true });
});

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[]): Promise<CliRun> {
  const env = {
    PATH: process.env["PATH"],
    HOME: process.env["HOME"],
    TMPDIR: os.tmpdir(),
    // The tool's own thread gets a small heap, as a small machine gives it; its workers the service's limit.
    NODE_OPTIONS: "--max-old-space-size=160",
    WORKER_HEAP_MB: "160",
  };
  return new Promise((resolve) => {
    execFile(BIN, args, { cwd: dir, env, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err == null ? 0 : typeof err.code === "number" ? err.code : null;
      resolve({ code, signal: err?.signal ?? null, stdout, stderr });
    });
  });
}

const lines = (run: CliRun) => run.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);

describe("a hostile file in a folder fails alone", () => {
  test("exifapi clean: the hostile files fail as too complex, the others are cleaned, the summary says so", { timeout: 150_000 }, async () => {
    const run = await cli(["clean", "--json", "--jobs", "2", "tree"]);
    expect(run.signal, run.stderr).toBeNull();
    expect(run.code, run.stderr).toBe(1);
    const byPath = new Map(lines(run).map((l) => [l["path"], l]));
    expect(byPath.size).toBe(4);
    for (const hostile of ["heap.docx", "attributes.svg"]) {
      expect(byPath.get(path.join("tree", hostile)), hostile).toMatchObject({ outcome: "failed", reason: "too complex", detail: "The file is too complex to process within this tool's limits." });
    }
    for (const good of ["a photo.jpg", "text.png"]) {
      expect(byPath.get(path.join("tree", good)), good).toMatchObject({ outcome: "cleaned", remaining: {} });
      const out = path.join(tree, good.replace(/(\.[^.]+)$/, ".cleaned$1"));
      expect(await findMarker(out, MARKER), out).toEqual([]);
    }
    expect(run.stderr).toMatch(/^Cleaned 2 files .*\n.*Failed 2/s);
  });

  test("exifapi inspect: the hostile files get an error line, the others their findings", { timeout: 150_000 }, async () => {
    const run = await cli(["inspect", "--json", "--jobs", "2", "tree"]);
    expect(run.signal, run.stderr).toBeNull();
    const byPath = new Map(lines(run).map((l) => [l["path"], l]));
    expect(byPath.size).toBe(4);
    expect(byPath.get(path.join("tree", "attributes.svg"))).toMatchObject({ error: "the file is too complex to process within this tool's limits" });
    for (const good of ["a photo.jpg", "text.png"]) {
      const line = byPath.get(path.join("tree", good));
      expect(line, good).not.toHaveProperty("error");
      expect(Array.isArray(line?.["findings"]), good).toBe(true);
    }
    expect(run.code).toBe(1);
  });
});
