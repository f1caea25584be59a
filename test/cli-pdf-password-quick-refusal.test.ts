import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { minimalTextPdf } from "./helpers/make-files.js";
import { ROOT } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * `exifapi clean` on a PDF encrypted with AES-256 (revision 6) that needs a password to open: the
 * service refuses it right after its screen (qpdf tells it from the encryption dictionary in
 * milliseconds), but the command-line tool went on to ExifTool's read, which derived the keys of
 * the empty password in Perl first: 15-16 s for the one file (5.5 s of CPU) on a busy machine.
 */

const BIN = path.join(ROOT, "bin", "exifapi");
const PASSWORD_PROTECTED = "The PDF is password-protected and cannot be cleaned without its password.";
/** What the refusal may take beyond the tool's own start and a skipped file's look: ExifTool's derivation alone took over 4 s of CPU. */
const QUICK_MS = 3000;

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-cli-pdf-locked-"));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** `exifapi clean --json FILE` run as a user runs it, its one JSON line and how long it took. */
function cleanTimed(file: string): Promise<{ line: Record<string, unknown>; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env["PATH"], HOME: process.env["HOME"], TMPDIR: os.tmpdir(), DATA_DIR: path.join(dir, "data") };
    execFile(BIN, ["clean", "--json", "--out", path.join(dir, "out"), file], { cwd: dir, env, timeout: 120_000 }, (err, stdout) => {
      const ms = performance.now() - started;
      const first = stdout.split("\n").find((l) => l.startsWith("{"));
      if (first == null) reject(err ?? new Error(`no JSON line: ${stdout}`));
      else resolve({ line: JSON.parse(first) as Record<string, unknown>, ms });
    });
  });
}

describe("exifapi clean on a PDF that needs a password to open", () => {
  it("AES-256 (R6): failed with the service's sentence, within a few seconds of the tool's start", async () => {
    const plain = path.join(dir, "plain.pdf");
    await fs.writeFile(plain, minimalTextPdf("Locked for the command line"));
    const locked = path.join(dir, "locked.pdf");
    await run("qpdf", ["--encrypt", "user-secret", "owner-secret", "256", "--", plain, locked]);
    expect((await fs.readFile(locked)).includes("/R 6")).toBe(true);
    // The tool's start and a file it only looks at, timed in the same minutes.
    const skipped = path.join(dir, "notes.xml");
    await fs.writeFile(skipped, "<?xml version='1.0'?><notes>notes no cleaner takes</notes>\n");
    const baseline = await cleanTimed(skipped);
    expect(baseline.line["outcome"]).toBe("skipped");

    const { line, ms } = await cleanTimed(locked);
    expect(line).toMatchObject({ outcome: "failed", reason: "bad file", detail: PASSWORD_PROTECTED });
    expect(ms - baseline.ms).toBeLessThan(QUICK_MS);
  }, 240_000);
});
