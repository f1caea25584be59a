import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeIllustratorPdf, pdfContent } from "./helpers/make-pdf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, run } from "./helpers/tools.js";

/*
 * An Illustrator `.ai` is a PDF holding Illustrator's own copy of the document (ExifTool calls
 * such a PDF "AI"): it was refused as a type of its own. Its private data is application data
 * like any other, so the PDF cleaner takes it, and what comes back is the PDF without it.
 */

let server: RunningServer;
let dir: string;
const MARKER = `Aimark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-illustrator-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("Illustrator files (.ai)", () => {
  it("come back as the same pages without Illustrator's private data, its layer's maker or any other metadata", async () => {
    const file = await makeIllustratorPdf(dir, MARKER);
    expect((await exiftool(["-s3", "-FileType", file])).trim()).toBe("AI");
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const before = await pdfContent(file);

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(body["removed"]).toMatchObject({ pdf: expect.any(Number), postscript: expect.any(Number), xmp: expect.any(Number) });
    const out = path.join(dir, "cleaned.ai");
    await fs.writeFile(out, cleaned!);

    expect(await findMarker(out, MARKER)).toEqual([]);
    // Without Illustrator's data it is a PDF, and ExifTool names it so.
    expect((await exiftool(["-s3", "-FileType", out])).trim()).toBe("PDF");
    const objects = (await run("qpdf", ["--qdf", "--object-streams=disable", out, "-"])).stdout.toString("latin1");
    expect(objects).not.toMatch(/\/PieceInfo|\/CreatorInfo|\/AIPrivateData/);
    // The layer itself stays: the page's content is drawn in it.
    expect(objects).toContain("/OCProperties");
    expect(await pdfContent(out)).toEqual(before);
  });
});
