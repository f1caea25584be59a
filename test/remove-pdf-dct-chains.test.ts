import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { type ChainedJpegPdf, type InlineOptions, type InlinePlace, JPEG_CHAINS, type PicturePlace, type StoredJpeg, makePdfWithChainedJpeg, makePdfWithInlineJpeg, storedPictures } from "./helpers/make-pdf-chains.js";
import { pdfContent } from "./helpers/make-pdf.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, pixelSignature, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Chainmark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-pdf-chains-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** Cleans through the API (a 200 with nothing remaining) and writes the copy into `dir`. */
async function cleanedCopy(file: string): Promise<{ out: string; removed: Record<string, number> }> {
  const { status, body, cleaned } = await removeViaApi(server, file, "report.pdf");
  expect(status, JSON.stringify(body)).toBe(200);
  expect(body["remaining"]).toEqual({});
  const out = path.join(dir, `cleaned-${path.basename(file)}`);
  await fs.writeFile(out, cleaned!);
  return { out, removed: body["removed"] as Record<string, number> };
}

/**
 * The picture was cleaned, not passed through: the marker is nowhere (the copy's picture is
 * stored as the bare JPEG, so the scan reads its bytes as they are), the JPEG stored decodes to
 * the pixels of the one put in, and the page shows the same and keeps its text.
 */
async function expectCleanSamePicture(made: ChainedJpegPdf, out: string): Promise<void> {
  expect(await findMarker(out, MARKER)).toEqual([]);
  const pictures = await storedPictures(out, dir);
  expect(pictures).toHaveLength(1);
  expect(pictures[0]!.dict).toMatchObject({ "/Filter": "/DCTDecode" });
  expect(await pixelSignature(pictures[0]!.data)).toBe(await pixelSignature(made.picture));
  expect(await pdfContent(out)).toEqual(await pdfContent(made.file));
}

describe("POST /api/v1/remove on a PDF whose JPEG picture sits behind other filters", () => {
  it.each(Object.entries(JPEG_CHAINS))("cleans the picture stored behind %s, stored back as the bare JPEG", async (_name, stored) => {
    const made = await makePdfWithChainedJpeg(dir, MARKER, stored);
    const { out, removed } = await cleanedCopy(made.file);
    // The picture's own tags were read from it (its EXIF, which the PDF's read of RunLength,
    // LZW or ASCIIHex data may not reach) and went.
    expect(removed["exif"]).toBeGreaterThan(3);
    await expectCleanSamePicture(made, out);
  });

  it("keeps the DCT's own parameters and drops those of the filters undone", async () => {
    const made = await makePdfWithChainedJpeg(dir, MARKER, JPEG_CHAINS["ASCII85 then Flate with a PNG predictor, and the DCT's own parameters"]!);
    const { out } = await cleanedCopy(made.file);
    const pictures = await storedPictures(out, dir);
    expect(pictures.map((p) => [p.dict["/Filter"], p.dict["/DecodeParms"]])).toEqual([["/DCTDecode", { "/ColorTransform": 1 }]]);
  });

  it("counts the tags of one Flate-wrapped picture once (ExifTool's read of the PDF decodes it)", async () => {
    const { file } = await makePdfWithChainedJpeg(dir, MARKER, JPEG_CHAINS["Flate"]!);
    const read = JSON.parse(await exiftool(["-j", "-G0", "-u", "-ee", file])) as Array<Record<string, unknown>>;
    const exifTags = Object.keys(read[0]!).filter((k) => k.startsWith("EXIF:")).length;
    expect(exifTags).toBeGreaterThan(3);
    const { removed } = await cleanedCopy(file);
    expect(removed["exif"]).toBe(exifTags);
  });

  it("follows a filter list kept in an object of its own", async () => {
    const made = await makePdfWithChainedJpeg(dir, MARKER, JPEG_CHAINS["Flate"]!, "page", true);
    const { out } = await cleanedCopy(made.file);
    await expectCleanSamePicture(made, out);
  });

  const places: PicturePlace[] = ["thumbnail", "button"];
  it.each(places)("cleans a Flate-wrapped JPEG shown only as the page's %s (where ExifTool's read does not look)", async (place) => {
    const made = await makePdfWithChainedJpeg(dir, MARKER, JPEG_CHAINS["Flate"]!, place);
    // The marker sits in the picture's zlib stream, where the scan looks.
    expect(await findMarker(made.file, MARKER)).not.toEqual([]);
    const { out } = await cleanedCopy(made.file);
    await expectCleanSamePicture(made, out);
  });

  const damaged: Array<[string, StoredJpeg]> = [
    ["a Flate stream cut short", { filter: "[/FlateDecode /DCTDecode]", encode: (j) => zlib.deflateSync(j).subarray(0, 200) }],
    ["Flate data that is no zlib stream", { filter: "[/FlateDecode /DCTDecode]", encode: (j) => Buffer.concat([Buffer.from("not zlib "), j]) }],
    ["a character ASCIIHex does not have", { filter: "[/ASCIIHexDecode /DCTDecode]", encode: (j) => Buffer.from(`ffd8ffzz${j.toString("hex")}>`, "latin1") }],
    ["a filter no PDF reader knows", { filter: "[/AcmeDecode /DCTDecode]", encode: (j) => j.subarray(2) }],
  ];
  it.each(damaged)("refuses a picture whose chain is damaged: %s (a 422 with a reason, no copy)", async (_what, stored) => {
    const { file } = await makePdfWithChainedJpeg(dir, MARKER, stored);
    const { status, body, cleaned } = await removeViaApi(server, file, "report.pdf");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The PDF holds a picture whose data is damaged, so it cannot be cleaned safely.");
    expect(cleaned).toBeNull();
  });

  const flippedNames: Array<[string, string]> = [
    ["/DCTDecode]", "/DCTDecodf]"],
    ["/Filter [", "/Fimter ["],
  ];
  it.each(flippedNames)("cleans a Flate-wrapped JPEG whose dictionary is damaged (%s became %s), the dictionary left as it was", async (from, to) => {
    const { file } = await makePdfWithChainedJpeg(dir, MARKER, JPEG_CHAINS["Flate"]!);
    const bytes = await fs.readFile(file);
    const at = bytes.indexOf(from);
    expect(at).toBeGreaterThan(0);
    // Same length: every xref offset still holds, only the name is wrong.
    bytes.write(to, at, "latin1");
    const damagedFile = path.join(dir, `flipped-${crypto.randomUUID()}.pdf`);
    await fs.writeFile(damagedFile, bytes);
    expect(await findMarker(damagedFile, MARKER)).not.toEqual([]);

    const { out } = await cleanedCopy(damagedFile);
    expect(await findMarker(out, MARKER)).toEqual([]);
    const written = JSON.stringify(await storedPictures(out, dir).then((p) => p.map((x) => x.dict)));
    expect(written).toContain(to.replace(/[[\]]/g, "").trim());
    // The page's text and pages; not its rendering: without its /Filter a viewer paints the
    // stored bytes as raw pixels, and the copy's bytes are another (clean) deflated JPEG.
    const [before, after] = await Promise.all([pdfContent(damagedFile), pdfContent(out)]);
    expect({ text: after.text, pages: after.pages }).toEqual({ text: before.text, pages: before.pages });
  });

  it("cleans a PDF whose damaged chained picture nothing refers to any more (the copy leaves it out)", async () => {
    const { file } = await makePdfWithChainedJpeg(dir, MARKER, damaged[0]![1], "nowhere");
    const { out } = await cleanedCopy(file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await storedPictures(out, dir)).toEqual([]);
    expect(await pdfContent(out)).toEqual(await pdfContent(file));
  });
});

describe("POST /api/v1/remove on a PDF whose DCT picture lost its first bytes", () => {
  // What a damaged or crafted picture stream holds: bytes before the JPEG, or its start-of-image gone.
  const junkFirst: StoredJpeg = { filter: "/DCTDecode", encode: (j) => Buffer.concat([Buffer.alloc(300, 0xff), Buffer.from("junk"), j]) };
  const startLost = (j: Buffer): Buffer => Buffer.concat([Buffer.alloc(150, 0xff), j.subarray(6)]);

  it("cleans the JPEG that starts after bytes no decoder reads, stored from its start", async () => {
    const made = await makePdfWithChainedJpeg(dir, MARKER, junkFirst);
    const { out } = await cleanedCopy(made.file);
    await expectCleanSamePicture(made, out);
  });

  it.each([
    ["stored bare", { filter: "/DCTDecode", encode: startLost }],
    ["behind Flate", { filter: "[/FlateDecode /DCTDecode]", encode: (j: Buffer) => zlib.deflateSync(startLost(j)) }],
  ] as const)("empties a picture %s with no JPEG start left (no viewer draws it, and its XMP and EXIF were copied): the page is the same", async (_how, stored) => {
    await expectEmptiedPicture(await makePdfWithChainedJpeg(dir, MARKER, stored));
  });

  it("empties an inline picture with no JPEG start left, now an image object, the page the same", async () => {
    await expectEmptiedPicture(await makePdfWithInlineJpeg(dir, MARKER, "page", { encode: startLost }));
  });

  /** The copy has the marker nowhere, one picture stored empty, and the page drawn as before. */
  async function expectEmptiedPicture(made: ChainedJpegPdf): Promise<void> {
    expect(await findMarker(made.file, MARKER)).not.toEqual([]);
    const { out } = await cleanedCopy(made.file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    const pictures = await storedPictures(out, dir);
    expect(pictures).toHaveLength(1);
    expect((await fs.readFile(pictures[0]!.data)).length).toBe(0);
    expect(await pdfContent(out)).toEqual(await pdfContent(made.file));
  }
});

describe("POST /api/v1/remove on a PDF that draws a JPEG inline (BI ... ID <JPEG> EI)", () => {
  const cases: Array<[string, InlinePlace, InlineOptions]> = [
    ["in the page's content", "page", {}],
    ["in the page's Flate-compressed content", "page", { deflate: true }],
    ["behind ASCIIHex in the page's content", "page", { filter: "[/AHx /DCT]", encode: (j) => Buffer.from(`${j.toString("hex")}>`, "latin1") }],
    ["in a form the page draws", "form", { deflate: true }],
    ["in the page's content stored behind ASCII85 and Flate", "page", { ascii85: true }],
  ];
  it.each(cases)("cleans the JPEG drawn %s, now an image object", async (_where, place, opts) => {
    const made = await makePdfWithInlineJpeg(dir, MARKER, place, opts);
    if (opts.filter == null) expect(await findMarker(made.file, MARKER)).not.toEqual([]);
    const { out, removed } = await cleanedCopy(made.file);
    expect(removed["exif"]).toBeGreaterThan(3);
    await expectCleanSamePicture(made, out);
  });

  it("cleans a chained picture and an inline JPEG in an encrypted PDF with object streams", async () => {
    const chained = await makePdfWithChainedJpeg(dir, MARKER, JPEG_CHAINS["ASCII85"]!);
    const inline = await makePdfWithInlineJpeg(dir, MARKER, "page", { deflate: true });
    for (const made of [chained, inline]) {
      const encrypted = path.join(dir, `encrypted-${crypto.randomUUID()}.pdf`);
      // Empty user password (opens without asking), objects in object streams; AES-128, since
      // ExifTool takes about 8 s to read an AES-256 one (0.2 s for this), twice per removal.
      await run("qpdf", ["--object-streams=generate", "--encrypt", "", "owner-secret", "128", "--use-aes=y", "--", made.file, encrypted]);
      const { out } = await cleanedCopy(encrypted);
      await expectCleanSamePicture({ file: made.file, picture: made.picture }, out);
    }
  });

  it("cleans a PDF whose review stamp draws a JPEG inline: the stamp goes, its drawing with it", async () => {
    const made = await makePdfWithInlineJpeg(dir, MARKER, "stamp", { deflate: true });
    const { out } = await cleanedCopy(made.file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pdfContent(out)).toEqual(await pdfContent(made.file));
  });

  it("refuses a PDF whose push button draws a JPEG inline (qpdf makes no object of it): a 422 with a reason", async () => {
    const made = await makePdfWithInlineJpeg(dir, MARKER, "button", { deflate: true });
    const { status, body, cleaned } = await removeViaApi(server, made.file, "report.pdf");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The PDF holds a picture drawn inline where it cannot be cleaned (in an annotation's or a glyph's drawing).");
    expect(cleaned).toBeNull();
  });

  it("refuses a PDF whose form draws a JPEG inline but has no resources to name it by once it is an object (the page would lose it)", async () => {
    const made = await makePdfWithInlineJpeg(dir, MARKER, "form", { formResources: false });
    const { status, body, cleaned } = await removeViaApi(server, made.file, "report.pdf");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The PDF holds a picture drawn inline that cannot be cleaned without changing the page; it may be damaged.");
    expect(cleaned).toBeNull();
  });
});
