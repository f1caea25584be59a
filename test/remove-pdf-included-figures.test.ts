import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PDF_TEXT, makePdfWithIncludedFigure, pdfContent } from "./helpers/make-pdf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool } from "./helpers/tools.js";

/*
 * pdfTeX keeps, in the form XObject of every PDF figure a document includes, the figure's path
 * on the author's disk and the figure's whole document information dictionary. ExifTool reads
 * neither, so a copy holding them passed its re-read (found in py-pdf's GeoTopo-komprimiert.pdf).
 */

let server: RunningServer;
let dir: string;
const MARKER = `Ptexmark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-pdf-figures-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("PDF figures included by pdfTeX", () => {
  it("lose the figure's path and document information, and the page draws the same", async () => {
    const file = await makePdfWithIncludedFigure(dir, MARKER);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    expect(await exiftool(["-a", "-G1", file])).not.toContain(MARKER);
    const before = await pdfContent(file);
    expect(before.text).toContain(PDF_TEXT);

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, "cleaned.pdf");
    await fs.writeFile(out, cleaned!);

    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await fs.readFile(out)).includes("/PTEX.")).toBe(false);
    const after = await pdfContent(out);
    expect(after.text).toBe(before.text);
    expect(after.pages).toBe(before.pages);
    expect(after.rendering).toBe(before.rendering);
  });
});
