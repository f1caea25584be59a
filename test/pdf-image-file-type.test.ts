import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pdfWithFlateImage, pdfWithJpxImage } from "./helpers/make-pdf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Flateimage${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-pdf-image-type-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

// ExifTool's -ee read names each PDF image it cannot open (Flate, JBIG2...) "(unsupported)" under
// File:FileType, and that value replaced the PDF's own: such PDFs (pdf.js' JBIG2 test files) were
// refused as "not supported for this file type ((unsupported))".
describe("a PDF holding a Flate-compressed image", () => {
  it("is read as a PDF and cleaned", async () => {
    const file = path.join(dir, "picture.pdf");
    await fs.writeFile(file, pdfWithFlateImage(MARKER));
    expect(await exiftool(["-j", "-G0", "-ee", "-File:FileType", file])).toContain('"File:FileType": "(unsupported)"');

    const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "picture.pdf", data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey } });
    const extracted = (await res.json()) as { metadata: { File: Record<string, unknown> } };
    expect(res.status).toBe(200);
    expect(extracted.metadata.File["FileType"]).toBe("PDF");

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned.pdf");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await exiftool(["-s3", "-FileType", out])).trim()).toBe("PDF");
  });
});

// ExifTool's -ee read of the copy finds the JPEG 2000 picture's own header (brand, size, colour
// specification), which the PDF cleaner counted as metadata left: every PDF with a JPX image
// (pdf.js' issue12213.pdf, issue19326.pdf) was refused.
describe("a PDF holding a JPEG 2000 image", () => {
  it("is cleaned, the picture's header counting as structure", async () => {
    const jp2 = path.join(dir, "picture.jp2");
    await run(CONVERT, ["-size", "8x8", "gradient:#ff2000-#0030ff", jp2]);
    const file = path.join(dir, "jpx.pdf");
    await fs.writeFile(file, pdfWithJpxImage(MARKER, await fs.readFile(jp2)));
    expect((await exiftool(["-ee", "-s3", "-Jpeg2000:ImageWidth", file])).trim()).toBe("8");

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, "cleaned-jpx.pdf");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    // The picture itself, but for its codestream's comment (ImageMagick's encoder, OpenJPEG, names
    // itself and its version there), blanked in place: the same bytes otherwise, the same pixels.
    const picture = await fs.readFile(jp2);
    const comment = picture.indexOf("Created by OpenJPEG");
    expect(comment).toBeGreaterThan(0);
    const blanked = Buffer.from(picture);
    // Its registration value (2 bytes: Latin-1 text) and the text.
    blanked.fill(0, comment - 2, picture.indexOf(0xff, comment));
    expect(cleaned!.includes(blanked)).toBe(true);
    expect(cleaned!.includes("OpenJPEG")).toBe(false);
  });
});
