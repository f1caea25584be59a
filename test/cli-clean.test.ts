import { execFile, spawn } from "node:child_process";
import crypto from "node:crypto";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { handZip } from "./helpers/make-archives.js";
import { makeJpeg, makePng } from "./helpers/make-images.js";
import { makeMarkedMedia } from "./helpers/make-media.js";
import { makeMarkedJpeg, makeOffice } from "./helpers/make-office.js";
import { makeMarkedPdf, PDF_TEXT } from "./helpers/make-pdf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { ROOT } from "./helpers/server.js";
import { pixelSignature, run } from "./helpers/tools.js";

/*
 * `exifapi clean` on a generated tree (every family, unsupported files, nested folders, names with
 * spaces and non-ASCII), run as a user runs it: the built bin/exifapi in a child process, in a
 * pipe or under a pseudo-terminal (script(1)). Every clean copy passes the marker scan and its
 * content check; originals stay byte for byte what they were.
 */

const MARKER = `CliMark_${crypto.randomBytes(4).toString("hex")}`;
const BIN = path.join(ROOT, "bin", "exifapi");

/** How each supported file's content is compared before and after. */
type Check = "pixels" | "pdf" | "docx" | "audio" | "zip";

/** The tree, by path relative to its root. */
const SUPPORTED: Record<string, Check> = {
  "photos/été 2024/ph oto.jpg": "pixels",
  "photos/text.png": "pixels",
  "docs/report.pdf": "pdf",
  "docs/letter one.docx": "docx",
  "audio/ünï song.mp3": "audio",
  "bundle.zip": "zip",
};
const UNSUPPORTED: Record<string, string> = { "notes.xml": "XML", "docs/raw data.bin": "unknown" };

let dir: string;
let source: string;
let originals: Map<string, string>;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "cli-clean-"));
  source = path.join(dir, "source");
  const scratch = (name: string) => fsp.mkdtemp(path.join(dir, `${name}-`));
  const put = async (rel: string, from: string | Buffer) => {
    const to = path.join(source, rel);
    await fsp.mkdir(path.dirname(to), { recursive: true });
    if (typeof from === "string") await fsp.copyFile(from, to);
    else await fsp.writeFile(to, from);
  };
  const jpeg = await makeJpeg(await scratch("jpeg"), MARKER);
  await put("photos/été 2024/ph oto.jpg", jpeg);
  await put("photos/text.png", await makePng(await scratch("png"), MARKER));
  await put("docs/report.pdf", await makeMarkedPdf(await scratch("pdf"), "plain", MARKER));
  await put("docs/letter one.docx", (await makeOffice("docx", MARKER, await makeMarkedJpeg(await scratch("docx"), MARKER))).bytes);
  await put("audio/ünï song.mp3", await makeMarkedMedia(await scratch("mp3"), "mp3", MARKER));
  await put("bundle.zip", handZip([{ name: "inside/photo.jpg", data: await fsp.readFile(jpeg), comment: MARKER }], MARKER));
  await put("notes.xml", Buffer.from(`<?xml version='1.0'?><notes>Notes by ${MARKER}</notes>\n`));
  await put("docs/raw data.bin", rawData());
  await fsp.mkdir(path.join(source, "photos/empty folder"));
  originals = await hashes(source);
}, 120_000);

afterAll(async () => {
  if (dir != null) await fsp.rm(dir, { recursive: true, force: true });
});

/**
 * Binary data of no known type, the same on every run: random bytes are now and then taken for a
 * type by its magic number (an MPEG audio frame sync), which would make the outcome vary.
 */
function rawData(): Buffer {
  const parts = [Buffer.from("RAWDATA\0")];
  let h = Buffer.from("exifapi");
  for (let i = 0; i < 64; i++) parts.push((h = crypto.createHash("sha512").update(h).digest()));
  return Buffer.concat(parts);
}

/** sha256 of every file under `root`, by relative path. */
async function hashes(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const rel of await files(root)) out.set(rel, crypto.createHash("sha256").update(await fsp.readFile(path.join(root, rel))).digest("hex"));
  return out;
}

async function files(root: string): Promise<string[]> {
  const entries = await fsp.readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name))).sort();
}

async function copyTree(name: string): Promise<string> {
  const to = path.join(dir, name);
  await fsp.cp(source, to, { recursive: true });
  return to;
}

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function env(): NodeJS.ProcessEnv {
  return { PATH: process.env["PATH"], HOME: process.env["HOME"], TMPDIR: os.tmpdir() };
}

function cli(args: string[], cwd = dir): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(BIN, args, { cwd, env: env(), timeout: 240_000 }, (err, stdout, stderr) => {
      const code = err == null ? 0 : typeof err.code === "number" ? err.code : null;
      resolve({ code, signal: err?.signal ?? null, stdout, stderr });
    });
  });
}

/** The clean copy's content is the original's, as a person sees, reads or hears it. */
async function expectSameContent(check: Check, original: string, cleaned: string): Promise<void> {
  switch (check) {
    case "pixels":
      expect(await pixelSignature(cleaned)).toBe(await pixelSignature(original));
      return;
    case "pdf": {
      const text = async (f: string) => (await run("pdftotext", [f, "-"])).stdout.toString("utf8");
      expect(await text(cleaned)).toContain(PDF_TEXT);
      return;
    }
    case "docx": {
      const body = (await readZip(await fsp.readFile(cleaned))).members.find((m) => m.name === "word/document.xml");
      expect(body?.data.toString("utf8")).toContain("Hello body text");
      return;
    }
    case "audio": {
      const md5 = async (f: string) => (await run("ffmpeg", ["-nostdin", "-loglevel", "error", "-i", f, "-map", "0:a", "-f", "md5", "-"])).stdout.toString("utf8");
      expect(await md5(cleaned)).toBe(await md5(original));
      return;
    }
    case "zip": {
      const [before, after] = [await readZip(await fsp.readFile(original)), await readZip(await fsp.readFile(cleaned))];
      expect(after.members.map((m) => m.name)).toEqual(before.members.map((m) => m.name));
      const tmp = path.join(dir, `member-${crypto.randomUUID()}.jpg`);
      await fsp.writeFile(tmp, after.members[0]!.data);
      const orig = path.join(dir, `member-${crypto.randomUUID()}.jpg`);
      await fsp.writeFile(orig, before.members[0]!.data);
      expect(await pixelSignature(tmp)).toBe(await pixelSignature(orig));
    }
  }
}

async function expectClean(file: string): Promise<void> {
  expect(await findMarker(file, MARKER), file).toEqual([]);
}

const cleanedName = (rel: string) => rel.replace(/(\.[^./]+)$/, ".cleaned$1");

describe("exifapi clean", () => {
  let beside: string;
  let besideRun: CliRun;

  beforeAll(async () => {
    beside = await copyTree("beside");
    besideRun = await cli(["clean", "--json", "beside"]);
  }, 240_000);

  test("writes NAME.cleaned.EXT beside each supported file: marker gone, content the same, originals untouched", async () => {
    expect(besideRun.code, besideRun.stderr).toBe(0);
    for (const [rel, check] of Object.entries(SUPPORTED)) {
      const out = path.join(beside, cleanedName(rel));
      await expectClean(out);
      await expectSameContent(check, path.join(source, rel), out);
    }
    const after = await hashes(beside);
    for (const [rel, hash] of originals) expect(after.get(rel), rel).toBe(hash);
    const expected = [...originals.keys(), ...Object.keys(SUPPORTED).map(cleanedName)].sort();
    expect(await files(beside)).toEqual(expected);
  });

  test("--json prints one parsable line per file, and off a terminal no escape codes", async () => {
    const lines = besideRun.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(Object.keys(SUPPORTED).length + Object.keys(UNSUPPORTED).length);
    for (const rel of Object.keys(SUPPORTED)) {
      const line = lines.find((l) => l["path"] === path.join("beside", rel));
      expect(line, rel).toMatchObject({ outcome: "cleaned", output: path.join("beside", cleanedName(rel)), remaining: {} });
      expect(Object.keys(line!["removed"] as object).length, rel).toBeGreaterThan(0);
      expect(Array.isArray(line!["findings"]), rel).toBe(true);
    }
    const photo = lines.find((l) => l["path"] === path.join("beside", "photos/été 2024/ph oto.jpg"))!;
    expect((photo["findings"] as { kind: string }[]).map((f) => f.kind)).toContain("location");
    for (const [rel, type] of Object.entries(UNSUPPORTED)) {
      expect(lines.find((l) => l["path"] === path.join("beside", rel)), rel).toMatchObject({ outcome: "skipped", reason: "unsupported type", fileType: type });
    }
    expect(besideRun.stderr).toMatch(/^Cleaned 6 files .*\nSkipped 2: unsupported type: /);
    expect(besideRun.stdout + besideRun.stderr).not.toContain("\x1b");
  });

  test("--out mirrors the tree and writes nothing beside the originals; earlier clean copies are not cleaned again", async () => {
    const before = await files(beside);
    const r = await cli(["clean", "--out", "mirror", "beside"]);
    expect(r.code, r.stderr).toBe(0);
    expect(await files(beside)).toEqual(before);
    expect(await files(path.join(dir, "mirror"))).toEqual(Object.keys(SUPPORTED).map((rel) => path.join("beside", rel)).sort());
    for (const rel of Object.keys(SUPPORTED)) await expectClean(path.join(dir, "mirror", "beside", rel));
    expect(r.stdout).toMatch(/^Cleaned 6 files/m);
  });

  test("--strict exits 1 when a file was skipped; a path that does not exist always does", async () => {
    const skipped = path.join("beside", "notes.xml");
    const lenient = await cli(["clean", "--out", "strict-out", skipped]);
    expect(lenient.code, lenient.stderr).toBe(0);
    const r = await cli(["clean", "--strict", "--out", "strict-out", skipped]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("unsupported type: XML");
    const missing = await cli(["clean", "--out", "strict-out", "no such folder"]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain("failed   no such folder: No such file or folder.");
    expect(await fsp.readdir(path.join(dir, "strict-out")).catch(() => [])).toEqual([]);
  });

  test("--keep works as the API's keep, and a wrong value is a usage error", async () => {
    const photo = path.join("source", "photos/été 2024/ph oto.jpg");
    const kept = await cli(["clean", "--json", "--keep", "colorProfile", "--out", "keep-out", photo]);
    expect(kept.code, kept.stderr).toBe(0);
    const line = JSON.parse(kept.stdout.trim()) as { outcome: string; remaining: Record<string, unknown> };
    expect(line.outcome).toBe("cleaned");
    expect(Object.keys(line.remaining)).toEqual(["icc_profile"]);
    const wrong = await cli(["clean", "--keep", "everything", photo]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('keep accepts orientation, colorProfile, copyright, comments, trackedChanges (got "everything")');
  });

  test("--in-place replaces only the files whose clean copy was verified", async () => {
    const tree = await copyTree("in-place");
    // An archive holding a member no cleaner handles is refused: it must stay as it was.
    const refused = handZip([{ name: "a.xml", data: Buffer.from(`<?xml version='1.0'?><notes>${MARKER}</notes>`) }]);
    await fsp.writeFile(path.join(tree, "refused.zip"), refused);
    const r = await cli(["clean", "--in-place", "in-place"]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/failed +in-place\/refused\.zip: The archive holds members that cannot be cleaned: a\.xml \(XML\)/);
    for (const [rel, check] of Object.entries(SUPPORTED)) {
      await expectClean(path.join(tree, rel));
      await expectSameContent(check, path.join(source, rel), path.join(tree, rel));
    }
    const after = await hashes(tree);
    for (const rel of Object.keys(UNSUPPORTED)) expect(after.get(rel), rel).toBe(originals.get(rel));
    expect((await fsp.readFile(path.join(tree, "refused.zip"))).equals(refused)).toBe(true);
    expect(await files(tree)).toEqual([...originals.keys(), "refused.zip"].sort());
  });

  test("shows a progress bar under a terminal, and the summary after it", async () => {
    const command = `${shellQuote(BIN)} clean --out tty-out ${shellQuote(path.join("beside", "photos"))}`;
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
      execFile("script", ["-q", "-e", "-c", command, "/dev/null"], { cwd: dir, env: { ...env(), TERM: "xterm" }, timeout: 120_000 }, (err, out) => (err != null ? reject(err) : resolve({ stdout: out })));
    });
    expect(stdout).toContain("\x1b[");
    expect(stdout).toMatch(/\d+\/2 files \| [\d.]+ K?B of [\d.]+ KB \| [\d.]+ files\/s/);
    expect(stdout).toMatch(/Cleaned 2 files/);
  });
});

describe("exifapi inspect", () => {
  test("prints each file's findings as a table, or as JSON lines, and writes nothing", async () => {
    const before = await files(source);
    const table = await cli(["inspect", "source"]);
    expect(table.code, table.stderr).toBe(0);
    const block = table.stdout.split("\n\n").find((b) => b.startsWith(path.join("source", "photos/été 2024/ph oto.jpg")))!;
    expect(block).toMatch(/\(JPEG\)\n/);
    expect(block).toMatch(/^ {2}high +location +.+48\.8584/m);
    expect(block).toContain(MARKER);
    expect(table.stdout).not.toContain("\x1b");

    const json = await cli(["inspect", "--json", "source"]);
    expect(json.code, json.stderr).toBe(0);
    const lines = json.stdout.trim().split("\n").map((l) => JSON.parse(l) as { path: string; fileType?: string; findings: { kind: string; tags: string[] }[] });
    expect(lines.map((l) => path.relative("source", l.path)).sort()).toEqual([...originals.keys()].sort());
    const pdf = lines.find((l) => l.path.endsWith("report.pdf"))!;
    expect(pdf.fileType).toBe("PDF");
    expect(pdf.findings.map((f) => f.kind)).toContain("people");
    expect(await files(source)).toEqual(before);
    expect(await hashes(source)).toEqual(originals);
  });
});

describe("Ctrl-C", () => {
  test("stops at once, exits 130 and leaves no partial file: every copy present is whole and clean", async () => {
    const tree = path.join(dir, "many");
    await fsp.mkdir(tree);
    const photo = path.join(source, "photos/été 2024/ph oto.jpg");
    const total = 40;
    for (let i = 0; i < total; i++) await fsp.copyFile(photo, path.join(tree, `photo ${i}.jpg`));
    const tmp = await fsp.mkdtemp(path.join(dir, "tmpdir-"));
    const child = spawn(BIN, ["clean", "--jobs", "2", "many"], { cwd: dir, env: { ...env(), TMPDIR: tmp }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString("utf8");
        if (/^cleaned /m.test(stdout)) resolve();
      });
      void exited.then(() => resolve());
    });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    child.kill("SIGINT");
    expect(await exited, stderr).toBe(130);
    expect(stderr).toMatch(/interrupted \(SIGINT\); \d+ file\(s\) were cleaned before it/);

    const left = await fsp.readdir(tree);
    expect(left.filter((n) => n.includes(".exifapi-"))).toEqual([]);
    const copies = left.filter((n) => n.includes(".cleaned."));
    expect(copies.length).toBeGreaterThan(0);
    expect(copies.length).toBeLessThan(total);
    const want = await pixelSignature(photo);
    for (const c of copies) {
      await expectClean(path.join(tree, c));
      expect(await pixelSignature(path.join(tree, c))).toBe(want);
    }
    expect(await fsp.readdir(tmp)).toEqual([]);
  }, 180_000);
});

describe("Ctrl-C during inspect", () => {
  test("exits 130 and leaves no folder of its own in the temp folder", async () => {
    const tree = path.join(dir, "many-inspect");
    await fsp.mkdir(tree);
    const photo = path.join(source, "photos/été 2024/ph oto.jpg");
    for (let i = 0; i < 40; i++) await fsp.copyFile(photo, path.join(tree, `photo ${i}.jpg`));
    const tmp = await fsp.mkdtemp(path.join(dir, "tmpdir-"));
    const child = spawn(BIN, ["inspect", "--json", "--jobs", "2", "many-inspect"], { cwd: dir, env: { ...env(), TMPDIR: tmp }, stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await new Promise<void>((resolve) => {
      child.stdout.on("data", () => resolve());
      void exited.then(() => resolve());
    });
    expect(await fsp.readdir(tmp)).toHaveLength(1);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(await fsp.readdir(tmp)).toEqual([]);
    const want = crypto.createHash("sha256").update(await fsp.readFile(photo)).digest("hex");
    expect(new Set((await hashes(tree)).values())).toEqual(new Set([want]));
    expect(await files(tree)).toHaveLength(40);
  }, 180_000);
});

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
