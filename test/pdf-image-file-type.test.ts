import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pdfWithFlateImage } from "./helpers/make-pdf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { exiftool } from "./helpers/tools.js";

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
