import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg, makePng } from "./helpers/make-images.js";
import { makeMarkedRtf, makeReviewedRtf, RTF_FINAL_TEXT, type RtfMarkers, rtfPictures, rtfText } from "./helpers/make-rtf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, pixelSignature } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-rtf-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

function markers(): RtfMarkers {
  const marker = `Rtf${crypto.randomBytes(5).toString("hex")}`;
  return { marker, note: `${marker}Note`, gone: `${marker}Gone`, inserted: `Inserted${crypto.randomBytes(3).toString("hex")}` };
}

/** The pixel signatures of pictures, each written to a file of its own. */
async function signatures(pictures: readonly Buffer[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of pictures) {
    const file = path.join(dir, `picture-${crypto.randomUUID()}`);
    await fs.writeFile(file, p);
    out.push(await pixelSignature(file));
  }
  return out.sort();
}

/** A JPEG (EXIF with GPS and a thumbnail, XMP, IPTC, ICC, comment, trailer) and a PNG (eXIf, text chunks, iCCP, tIME, a private chunk), each carrying the marker. */
async function markedPictures(marker: string): Promise<Buffer[]> {
  const pictures: Buffer[] = [];
  for (const make of [makeJpeg, makePng]) pictures.push(await fs.readFile(await make(await fs.mkdtemp(path.join(dir, "picture-")), marker)));
  return pictures;
}

describe("POST /api/v1/remove on RTF documents", () => {
  it("properties, revision authors, save-session ids, program, template, variables, data store, comments, tracked changes, objects, picture metadata and drawing descriptions gone; final text and pictures as they were", async () => {
    const m = markers();
    const file = await makeMarkedRtf(dir, m, await markedPictures(m.marker));
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("RTF");
    const original = await fs.readFile(file);
    expect(original.toString("latin1")).toMatch(/rsid/);
    const originalPictures = rtfPictures(original);
    expect(originalPictures).toHaveLength(2);
    expect(originalPictures.some((p) => p.includes(m.marker))).toBe(true);
    const before = await rtfText(dir, file);
    expect(before).toContain(m.gone);

    const { status, body, cleaned } = await removeViaApi(server, file, "report.rtf");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const removed = body["removed"] as Record<string, number>;
    expect(removed["rtf"]).toBeGreaterThanOrEqual(10);
    expect(removed["comments"]).toBe(1);
    // The insertion, the deletion and the formatting change's former properties.
    expect(removed["trackedChanges"]).toBe(3);
    expect(removed["objects"]).toBe(1);
    // Every ignorable destination LibreOffice and the planted Word parts write is a known one.
    expect(removed["privateGroups"]).toBeUndefined();
    expect(removed["exif"]).toBeGreaterThan(0);
    // The EMF's description and comment, the WMF's comment escape (and those of LibreOffice's own WMF stand-ins).
    expect(removed["metafileText"]).toBeGreaterThanOrEqual(3);

    expect(await findMarker(cleaned!, m.marker)).toEqual([]);
    const text = cleaned!.toString("latin1");
    expect(text).not.toMatch(/rsid|\\revtbl|\\revised|\\deleted|\\revauth|\\crauth|\\crdate|\\oldcprops|\\revisions|\\annotation|\\atn|\\chatn|\\generator|\\objdata/);
    const pictures = rtfPictures(cleaned!);
    expect(pictures).toHaveLength(2);
    for (const p of pictures) expect(await findMarker(p, m.marker)).toEqual([]);
    expect(await signatures(pictures)).toEqual(await signatures(originalPictures));
    const drawings = /emfblip|wmetafile8/;
    expect(rtfPictures(original, drawings).filter((d) => d.includes(Buffer.from(m.marker, "utf16le")) || d.includes(m.marker))).toHaveLength(2);
    const cleanedDrawings = rtfPictures(cleaned!, drawings);
    expect(cleanedDrawings).toHaveLength(rtfPictures(original, drawings).length);
    for (const d of cleanedDrawings) expect(await findMarker(d, m.marker)).toEqual([]);

    expect(await rtfText(dir, cleaned!)).toBe(RTF_FINAL_TEXT(m));
  });

  it("keep=comments,trackedChanges keeps the comment and the changes, without their authors' names or dates", async () => {
    const m = markers();
    const file = await makeMarkedRtf(dir, m);
    const { status, body, cleaned } = await removeViaApi(server, file, "report.rtf", { keep: "comments,trackedChanges" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const removed = body["removed"] as Record<string, number>;
    expect(removed["comments"]).toBeUndefined();
    expect(removed["trackedChanges"]).toBeUndefined();

    const text = cleaned!.toString("latin1");
    expect(text).toContain(`${m.note} remark`);
    expect(text).toContain(`${m.gone} words`);
    expect(text).toMatch(/\\revised/);
    expect(text).toMatch(/\\deleted/);
    // The comment's author and initials, the changes' authors: the marker stays only in the kept text.
    expect(text.replaceAll(m.note, "").replaceAll(m.gone, "")).not.toContain(m.marker);
    for (const date of text.matchAll(/\\(revdttm|revdttmdel|crdate)(-?\d+)/g)) expect(date[2]).toBe("0");
    expect(text).toMatch(/\{\\\*\\revtbl \{Unknown;\}\{Unknown;\}\}|\{\\\*\\revtbl\{Unknown;\}\{Unknown;\}\}/);
    expect(await rtfText(dir, cleaned!)).toContain(`${m.gone} words`);
  });

  // LibreOffice's RTF export leaves the DOCX's reply comment out (one comment each), writes the
  // text moved here as inserted and deleted at once (so it goes, as Word would drop it too), and
  // the deleted paragraph mark and table row as a kept mark and row with their text deleted.
  const reviewed = [
    { from: "docx" as const, finalText: (ins: string) => `Alpha ${ins} Omega Beta Gamma Delta Cell` },
    { from: "odt" as const, finalText: (ins: string) => `Alpha ${ins} Omega Beta` },
  ];
  it.each(reviewed)("$from under review, written as RTF by LibreOffice: comments and tracked changes gone, the final text as written by hand", async ({ from, finalText }) => {
    const r = (what: string): string => `Rtf${from}${what}${crypto.randomBytes(4).toString("hex")}`;
    const m = { comment: r("comment"), author: r("author"), deleted: r("deleted"), inserted: r("inserted") };
    const { file } = await makeReviewedRtf(dir, from, m);
    const original = await fs.readFile(file, "latin1");
    for (const marker of [m.comment, m.author, m.deleted, m.inserted]) expect(original, marker).toContain(marker);

    const { status, body, cleaned } = await removeViaApi(server, file, "review.rtf");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const removed = body["removed"] as Record<string, number>;
    expect(removed["comments"]).toBe(1);
    expect(removed["trackedChanges"]).toBeGreaterThan(0);
    for (const marker of [m.comment, m.author, m.deleted]) expect(await findMarker(cleaned!, marker), marker).toEqual([]);
    const text = await rtfText(dir, cleaned!);
    expect(text).toContain(m.inserted);
    expect(text).toBe(finalText(m.inserted));
  });

  it("keep=copyright keeps the document's author, nothing else of its properties", async () => {
    const m = markers();
    const file = await makeMarkedRtf(dir, m);
    const { status, body, cleaned } = await removeViaApi(server, file, "report.rtf", { keep: "copyright" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({ rtf: { Author: `${m.marker} creator` } });
    const text = cleaned!.toString("latin1");
    expect(text).toMatch(/\{\\info\{\\author [^}]*\}\{\\author [^}]*\}\}/);
    expect(text.replaceAll(`${m.marker} initial`, "").replaceAll(`${m.marker} creator`, "")).not.toContain(m.marker);
  });

  it("hand-written RTF: a JPEG as \\bin bytes, words whose delimiter went with a dropped word, bytes after the document's end", async () => {
    const m = markers();
    const jpegFile = await makeJpeg(await fs.mkdtemp(path.join(dir, "picture-")), m.marker);
    const jpeg = await fs.readFile(jpegFile);
    const file = path.join(dir, "hand.rtf");
    await fs.writeFile(
      file,
      Buffer.concat([
        Buffer.from(`{\\rtf1\\ansi{\\fonttbl{\\f0 Times;}}{\\*\\revtbl{Unknown;}{${m.marker};}}{\\b\\insrsid5 bold} {\\i\\revised\\revauth1 italic} {\\deleted\\revauthdel1 ${m.gone}}{\\pict\\jpegblip\\picw64\\pich48\\bin${jpeg.length} `, "latin1"),
        jpeg,
        Buffer.from(`}\\par after text}\r\n${m.marker} trailer`, "latin1"),
      ]),
    );
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect((body["removed"] as Record<string, number>)["trackedChanges"]).toBe(2);
    expect(await findMarker(cleaned!, m.marker)).toEqual([]);
    const [picture] = rtfPictures(cleaned!);
    expect(await signatures([picture!])).toEqual(await signatures([jpeg]));
    expect(await findMarker(picture!, m.marker)).toEqual([]);
    expect(await rtfText(dir, cleaned!)).toBe("bold italic after text");
  });

  it("refuses groups nested past the budget, an unclosed group, a damaged picture, \\bin past the end, an overlong control word; never a 5xx", async () => {
    const cases: Array<[string, string, string]> = [
      ["deep", `{\\rtf1\\ansi ${"{".repeat(5000)}x${"}".repeat(5000)}}`, "too complex"],
      ["unclosed", "{\\rtf1\\ansi {\\b bold text\\par }", "not a readable RTF"],
      ["bad picture", "{\\rtf1\\ansi {\\pict\\pngblip 89504e470d0a1a0azz}\\par }", "damaged picture"],
      ["bin past the end", "{\\rtf1\\ansi {\\pict\\pngblip\\bin999 89}}", "not a readable RTF"],
      ["long word", `{\\rtf1\\ansi \\${"x".repeat(40)} text}`, "not a readable RTF"],
    ];
    for (const [name, rtf, reason] of cases) {
      const file = path.join(dir, `${name.replace(" ", "-")}.rtf`);
      await fs.writeFile(file, rtf, "latin1");
      const { status, body } = await removeViaApi(server, file);
      expect(status, `${name}: ${JSON.stringify(body)}`).toBe(422);
      expect(JSON.stringify(body).toLowerCase(), name).toContain(reason.toLowerCase());
    }
  });
});
