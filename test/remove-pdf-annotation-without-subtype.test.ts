import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * Review annotations are taken off their pages by their subtype. A fuzz run (seed 2026120701)
 * flipped one bit of a note's "/Subtype" key: the note, its text and its author's name, stayed in
 * the copy, since nothing named its kind. No viewer shows such an annotation, but anyone reading
 * the file reads it; it is removed as a review annotation.
 */

let server: RunningServer;
let dir: string;
const MARKER = "NoSubtype8830";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-pdf-nosubtype-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** A one-page PDF whose page lists a note of no subtype (`/SubtyPe`, as the bit flip left it); qpdf writes its cross-reference table. */
async function pdfWithUntypedNote(): Promise<string> {
  const content = "BT /F1 12 Tf 20 100 Td (Hello page) Tj ET";
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Annots [5 0 R] /Resources << /Font << /F1 6 0 R >> >> >>",
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    `<< /Type /Annot /SubtyPe /Text /Rect [10 10 30 30] /Contents (Note of ${MARKER}) /T (${MARKER} the reviewer) /P (${MARKER}) >>`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  const body = objects.map((o, i) => `${i + 1} 0 obj\n${o}\nendobj\n`).join("");
  const raw = path.join(dir, "raw.pdf");
  await fs.writeFile(raw, `%PDF-1.4\n${body}trailer\n<< /Root 1 0 R /Size ${objects.length + 1} >>\n%%EOF\n`, "latin1");
  const file = path.join(dir, "untyped-note.pdf");
  await run("qpdf", ["--qdf", raw, file]).catch(() => undefined);
  await fs.access(file);
  return file;
}

async function text(file: string): Promise<string> {
  return (await run("pdftotext", [file, "-"])).stdout.toString("utf8").trim();
}

describe("a PDF annotation without a subtype", () => {
  it("is removed with its text; the page is the same", async () => {
    const file = await pdfWithUntypedNote();
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["removed"]).toMatchObject({ annotations: 1 });
    const out = path.join(dir, "cleaned.pdf");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await text(out)).toBe("Hello page");
  });
});
