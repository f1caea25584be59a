import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { compoundStreams, embedObjects, oleObjectFile, withOleObjects } from "./helpers/make-ole-objects.js";
import { makeMarkedJpeg, makeOffice } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, pixelSignature, run } from "./helpers/tools.js";
import { savedIn } from "./helpers/saved.js";

let server: RunningServer;
let dir: string;
const MARKER = `PsdObject${crypto.randomBytes(5).toString("hex")}`;
const PHOTOSHOP = "Adobe Photoshop Image";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-psd-ole-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** A Photoshop document made by ImageMagick, given the marker by ExifTool in its XMP, IPTC and EXIF. */
async function markedPsd(): Promise<string> {
  const file = path.join(dir, `picture-${crypto.randomUUID()}.psd`);
  await run(CONVERT, ["-size", "40x30", "gradient:#ff2000-#0030ff", file]);
  await exiftool(["-q", "-overwrite_original", `-XMP:Creator=${MARKER}`, `-IPTC:By-line=${MARKER}`, `-EXIF:Artist=${MARKER}`, file]);
  expect(await findMarker(file, MARKER)).not.toEqual([]);
  return file;
}

/** The object's CONTENTS stream in a cleaned compound file, as a PSD file. */
async function contentsOf(compound: Buffer): Promise<string> {
  const [contents] = compoundStreams(compound, "CONTENTS");
  expect(contents?.subarray(0, 4).toString("latin1")).toBe("8BPS");
  return savedIn(dir, "contents.psd", contents!);
}

// Photoshop's objects keep the document in their CONTENTS stream (POI's alterman_security.pptx
// and tika-2605.pptx were 422s: "an embedded object (Adobe Photoshop Image)").
describe("POST /api/v1/remove on documents holding a Photoshop (OLE) object", () => {
  it("a DOCX: the object's Photoshop document is cleaned by the PSD cleaner, its picture unchanged", async () => {
    const psd = await markedPsd();
    const object = oleObjectFile({ kind: "other", userType: PHOTOSHOP, streams: { CONTENTS: await fs.readFile(psd) } });
    const docx = await makeOffice("docx", `${MARKER}docx`, await makeMarkedJpeg(dir, `${MARKER}picture`));
    const file = await savedIn(dir, "report.docx", await withOleObjects(docx.bytes, "word", [object]));

    const { status, body, cleaned } = await removeViaApi(server, file, "report.docx");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    const embedded = (await readZip(cleaned!)).members.find((m) => m.name === "word/embeddings/oleObject1.bin");
    expect(await pixelSignature(await contentsOf(embedded!.data))).toBe(await pixelSignature(psd));
  }, 60_000);

  it("a Word 97-2003 document: the same, in its object pool", async () => {
    const psd = await markedPsd();
    const doc = await makeMarkedLegacyOffice(dir, "doc", `${MARKER}doc`);
    await embedObjects(doc, [{ kind: "streams", userType: PHOTOSHOP, streams: { CONTENTS: await fs.readFile(psd) } }]);

    const { status, body, cleaned } = await removeViaApi(server, doc, "report.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    expect(await pixelSignature(await contentsOf(cleaned!))).toBe(await pixelSignature(psd));
  }, 60_000);
});
