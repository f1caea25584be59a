import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commentSegment } from "./helpers/j2k-segments.js";
import { pdfWithJpxImage } from "./helpers/make-pdf.js";
import { HEALTH_MS, REFUSAL_MS, TOO_COMPLEX, TREE_MB, expectQuickRefusal } from "./helpers/quick-refusal.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { CONVERT, run } from "./helpers/tools.js";
import { watchService } from "./helpers/watch-service.js";

/*
 * A PDF's JPEG 2000 pictures (`/JPXDecode`) are read by ExifTool's `-ee` read of the PDF, each
 * codestream's headers as a JPEG's, one tag a comment: a 2 MB PDF whose picture held 300,000
 * one-byte comments took 22 s to be refused (9-11 s of ExifTool's CPU), and 4 kB of them deflated
 * behind Flate as long; the PDF screen did not look into pictures.
 */

let dir: string;
let server: RunningServer;
const COMMENTS = 300_000;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-hostile-pdf-jpx-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** A 32x32 gradient written by OpenJPEG (`ext`: j2k, a bare codestream; jp2, a JP2 file). */
async function picture(ext: "j2k" | "jp2"): Promise<Buffer> {
  const ppm = path.join(dir, "gradient.ppm");
  await run(CONVERT, ["-size", "32x32", "gradient:#ff2000-#0030ff", "-depth", "8", ppm]);
  const out = path.join(dir, `picture.${ext}`);
  await run("/usr/bin/opj_compress", ["-i", ppm, "-o", out]);
  return fs.readFile(out);
}

/** The codestream with `count` one-byte comments after its SIZ segment, in its main header. */
async function floodedCodestream(count: number): Promise<Buffer> {
  const bytes = await picture("j2k");
  const sizEnd = 4 + bytes.readUInt16BE(4);
  return Buffer.concat([bytes.subarray(0, sizEnd), Buffer.concat(Array<Buffer>(count).fill(commentSegment("x"))), bytes.subarray(sizEnd)]);
}

const BEHIND_FLATE = { filter: "[/FlateDecode /JPXDecode]", encode: (d: Buffer) => zlib.deflateSync(d) };

describe("PDFs whose JPEG 2000 pictures ExifTool would read for seconds", () => {
  it("a picture of 300,000 comments (2 MB) is a quick 422 for a removal", async () => {
    await expectQuickRefusal(server, dir, "comments.pdf", pdfWithJpxImage("JpxFlood", await floodedCodestream(COMMENTS), 32));
  }, 60_000);

  it("the same deflated behind Flate (5 kB) is a quick 422 for a removal", async () => {
    const data = pdfWithJpxImage("JpxFlood", await floodedCodestream(COMMENTS), 32, BEHIND_FLATE);
    expect(data.length).toBeLessThan(64 * 1024);
    await expectQuickRefusal(server, dir, "deflated-comments.pdf", data);
  }, 60_000);

  it("the same deflated is a quick 422 for an extraction too", async () => {
    const data = pdfWithJpxImage("JpxFlood", await floodedCodestream(COMMENTS), 32, BEHIND_FLATE);
    const started = performance.now();
    const watched = await watchService(server, async () => {
      const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "deflated-comments.pdf", data }, { headers: { "X-API-Key": server.apiKey } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    });
    expect(watched.result.status).toBe(422);
    expect(watched.result.body["error"]).toBe(TOO_COMPLEX);
    expect(performance.now() - started).toBeLessThan(REFUSAL_MS);
    expect(watched.peakTreeMb).toBeLessThan(TREE_MB);
    expect(watched.slowestHealthMs).toBeLessThan(HEALTH_MS);
  }, 60_000);

  it("a JP2 picture behind Flate followed by 100,000 label boxes (3 kB) is a quick 422", async () => {
    const label = Buffer.from("000000096c626c2078", "hex");
    const jp2 = Buffer.concat([await picture("jp2"), Buffer.concat(Array<Buffer>(100_000).fill(label))]);
    await expectQuickRefusal(server, dir, "labels.pdf", pdfWithJpxImage("JpxFlood", jp2, 32, BEHIND_FLATE));
  }, 60_000);

  it("a picture of 500 comments, bare and behind Flate, is still cleaned", async () => {
    const codestream = await floodedCodestream(500);
    for (const stored of [undefined, BEHIND_FLATE]) {
      const file = path.join(dir, "thousand.pdf");
      await fs.writeFile(file, pdfWithJpxImage("JpxThousand", codestream, 32, stored));
      const { status, body } = await removeViaApi(server, file);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body["remaining"]).toEqual({});
    }
  }, 120_000);
});
