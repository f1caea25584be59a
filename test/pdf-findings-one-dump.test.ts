import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ATTACHED_PHOTO, makePdfWithAttachments } from "./helpers/make-pdf.js";
import { loggedQpdf, type QpdfLog } from "./helpers/qpdf-log.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, EXIFTOOL, run } from "./helpers/tools.js";

/*
 * The findings of a PDF dump its objects with qpdf once: the look at its attached files takes them
 * from that same dump (the attachment keys of a PDF written with object streams are compressed, so
 * the look cannot tell from the bytes that it has none and dumped the file a second time). In a
 * removal that dump is the cleaner's, which lists the attached files for the look.
 */

const ARTIST = "OneDumpArtist";

interface Finding {
  kind: string;
  title: string;
  value?: string;
}

let dir: string;
let qpdfLog: QpdfLog;
let server: RunningServer;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-one-dump-"));
  qpdfLog = await loggedQpdf(dir);
  server = await startServer({ PATH: qpdfLog.path });
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** The qpdf runs logged since the last clear that dumped every object of a file (not one attachment's), by that file's path. */
async function wholeDumpsByInput(): Promise<Map<string, number>> {
  const byInput = new Map<string, number>();
  for (const args of (await qpdfLog.runs()).filter((a) => a.includes("--json-output") && !a.includes("--json-object"))) {
    // qpdf INPUT OUTPUT: the file read is the one before the JSON written.
    const words = args.split(" ");
    const input = words[words.length - 2] ?? "";
    byInput.set(input, (byInput.get(input) ?? 0) + 1);
  }
  return byInput;
}

/** The findings of an extraction of `file`, and the qpdf runs it started that dump every object (not one attachment's). */
async function extractWatched(file: string): Promise<{ findings: Finding[]; wholeDumps: string[] }> {
  await qpdfLog.clear();
  const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: path.basename(file), data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey } });
  const body = (await res.json()) as { findings: Finding[] };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return { findings: body.findings, wholeDumps: (await qpdfLog.runs()).filter((a) => a.includes("--json-output") && !a.includes("--json-object")) };
}

describe("a PDF's findings and the look at its attached files share one qpdf dump of its objects", () => {
  it("a PDF with an attached photo, written with object streams or without: one dump, and the photo's artist is still a finding naming it", async () => {
    const photo = path.join(dir, "photo.jpg");
    await run(CONVERT, ["-size", "32x32", "plasma:", photo]);
    await run(EXIFTOOL, ["-q", "-overwrite_original", `-Artist=${ARTIST}`, photo]);
    const { file } = await makePdfWithAttachments(dir, "OneDumpMark", { inner: await fs.readFile(photo), nested: false });
    const packed = path.join(dir, "packed.pdf");
    await run("qpdf", ["--object-streams=generate", file, packed]);
    expect((await fs.readFile(packed)).includes("/ObjStm")).toBe(true);
    for (const pdf of [packed, file]) {
      const { findings, wholeDumps } = await extractWatched(pdf);
      expect(wholeDumps, pdf).toHaveLength(1);
      expect(findings.find((f) => f.kind === "people" && f.title.startsWith(`${ATTACHED_PHOTO}: `))?.value, JSON.stringify(findings)).toContain(ARTIST);
      expect(findings.some((f) => /attached file/.test(f.title))).toBe(true);
    }
  }, 60_000);

  it("a removal of that PDF dumps the original's objects once (the cleaner's dump lists the attached files), and its findings are the extraction's", async () => {
    const photo = path.join(dir, "photo-removed.jpg");
    await run(CONVERT, ["-size", "32x32", "plasma:", photo]);
    await run(EXIFTOOL, ["-q", "-overwrite_original", `-Artist=${ARTIST}`, photo]);
    const { file } = await makePdfWithAttachments(dir, "OneDumpRemoved", { inner: await fs.readFile(photo), nested: false });
    const packed = path.join(dir, "packed-removed.pdf");
    await run("qpdf", ["--object-streams=generate", file, packed]);
    for (const pdf of [packed, file]) {
      const { findings: extracted } = await extractWatched(pdf);
      await qpdfLog.clear();
      const removed = await removeViaApi(server, pdf);
      expect(removed.status, JSON.stringify(removed.body)).toBe(200);
      const dumps = await wholeDumpsByInput();
      // The original's (the cleaner's) and the copy's read back: each file once.
      expect(dumps.size, JSON.stringify([...dumps])).toBeGreaterThanOrEqual(2);
      expect(Math.max(...dumps.values()), JSON.stringify([...dumps])).toBe(1);
      const findings = removed.body["findings"] as Finding[];
      expect(findings, pdf).toEqual(extracted);
      expect(findings.find((f) => f.kind === "people" && f.title.startsWith(`${ATTACHED_PHOTO}: `))?.value, JSON.stringify(findings)).toContain(ARTIST);
      expect(findings.some((f) => /attached file/.test(f.title))).toBe(true);
    }
  }, 60_000);
});
