import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assemblePdf } from "./helpers/make-pdf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * A stream whose /Length refers to an object qpdf cannot read as a number ("6 0 obj 64endobj", a
 * writer's missing space: pdf.js' issue1045.pdf): qpdf measures the stream itself, but names the
 * length's object in its warning, not the stream, and the removal took that for a stream it could
 * not look into: "damaged and cannot be cleaned safely", though the stream is one whole zlib stream.
 */

let server: RunningServer;
let dir: string;
const MARKER = "Gluedlengthauthor";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-pdf-glued-length-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("POST /api/v1/remove on a PDF whose stream length is given by an unreadable reference", () => {
  it("is cleaned, its text the same", async () => {
    const content = zlib.deflateSync(Buffer.from("BT /F1 24 Tf 72 720 Td (Glued length page) Tj ET", "latin1"));
    const file = path.join(dir, "glued.pdf");
    await fs.writeFile(
      file,
      assemblePdf(
        [
          "<< /Type /Catalog /Pages 2 0 R >>",
          "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
          `<< /Filter /FlateDecode /Length 6 0 R >>\nstream\n${content.toString("latin1")}endstream`,
          "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
          `${content.length}endobj`,
          `<< /Author (${MARKER}) >>`,
        ],
        "/Info 7 0 R",
      ),
    );
    const checked = await run("qpdf", ["--check", file], { okCodes: [2, 3] });
    expect(checked.stderr + checked.stdout.toString()).toMatch(/object 6 0.*recovered stream length/);
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, "cleaned.pdf");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await run("pdftotext", [out, "-"])).stdout.toString()).toContain("Glued length page");
  });
});
