import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { joinTiffPages } from "./helpers/join-tiff-pages.js";
import { makeOldJpegTiff } from "./helpers/make-old-jpeg-tiff.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { findingsViaApi, startServer, type RunningServer } from "./helpers/server.js";
import { CONVERT, exiftool, run } from "./helpers/tools.js";

/*
 * ExifTool names a TIFF directory's JPEG interchange format stream (tags 513 and 514) by the
 * directory it stands in: the second's is EXIF's thumbnail, the third's a raw file's preview. So a
 * scanned document of several old-style JPEG pages (Microsoft Office Document Imaging, Snowbound,
 * found in metadata-extractor's sample images) was refused: the copy's later pages kept their own
 * streams, which the verification read as a thumbnail and a preview left behind. They are cleaned
 * now; and an EXIF-style thumbnail in a TIFF's second directory (a JPEG stream, no strips: no page
 * libtiff can open), which the cleaner kept as a page and the verification refused, is dropped.
 */

const MARKER = "OldJpegPages7730";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "old-jpeg-pages-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fsp.rm(dir, { recursive: true, force: true });
});

/** Each page's width, height and pixel signature, as libtiff's decoders give them. */
async function pages(file: string): Promise<string[]> {
  const { stdout } = await run(CONVERT, [file, "-format", "%w %h %#\n", "info:"]);
  return stdout.toString("utf8").trim().split("\n");
}

async function cleanCopy(file: string): Promise<{ out: string; removed: unknown }> {
  const outcome = await removeViaApi(server, file, path.basename(file));
  expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
  expect(outcome.body["remaining"]).toEqual({});
  const out = path.join(dir, `cleaned-${path.basename(file)}`);
  await fsp.writeFile(out, outcome.cleaned!);
  return { out, removed: outcome.body["removed"] };
}

describe("a TIFF of several old-style JPEG pages", () => {
  test("is cleaned, each page decoding the same, and neither it nor its copy reports a thumbnail or preview", async () => {
    const file = path.join(dir, "scan.tif");
    const single = [];
    for (let i = 0; i < 3; i++) single.push(await makeOldJpegTiff(dir, `${MARKER}p${i}`));
    await joinTiffPages(file, single);
    expect(await exiftool(["-s", "-a", "-G1", "-ThumbnailOffset", "-JpgFromRawStart", file])).toMatch(/IFD1.*ThumbnailOffset[\s\S]*IFD2.*JpgFromRawStart/);
    // Its later pages are no previews of the first, in the original either.
    expect((await findingsViaApi(server, "scan.tif", await fsp.readFile(file))).filter((f) => f.kind === "previews")).toEqual([]);
    const before = await pages(file);
    expect(before).toHaveLength(3);
    expect(before[0]).toMatch(/^64 48 [0-9a-f]{64}$/);

    const { out } = await cleanCopy(file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pages(out)).toEqual(before);
    const findings = await findingsViaApi(server, "scan.tif", await fsp.readFile(out));
    expect(findings.filter((f) => f.kind === "previews")).toEqual([]);
  });
});

describe("a TIFF whose second directory is an EXIF-style JPEG thumbnail", () => {
  test("comes back without the thumbnail, its page decoding the same", async () => {
    const page = path.join(dir, "page.tif");
    await run(CONVERT, ["-size", "40x30", "gradient:red-blue", "-depth", "8", "-compress", "none", page]);
    const jpeg = path.join(dir, "thumb.jpg");
    await run(CONVERT, ["-size", "20x15", "xc:green", "-set", "comment", MARKER, jpeg]);
    const thumbnail = path.join(dir, "thumbnail.tif");
    await fsp.writeFile(thumbnail, thumbnailDirectory(await fsp.readFile(jpeg)));
    const file = path.join(dir, "with-thumbnail.tif");
    await joinTiffPages(file, [page, thumbnail]);
    expect(await exiftool(["-s3", "-IFD1:ThumbnailLength", file])).not.toBe("");
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const before = await pages(page);

    const { out } = await cleanCopy(file);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await exiftool(["-s3", "-ThumbnailImage", "-ThumbnailOffset", out])).toBe("");
    expect(await pages(out)).toEqual(before);
  });
});

/** A TIFF of one directory as EXIF writes a thumbnail: compression 6 and the JPEG stream, no strips. */
function thumbnailDirectory(jpeg: Buffer): Buffer {
  const fields: [number, number, number][] = [[259, 3, 6], [513, 4, 8 + 2 + 3 * 12 + 4], [514, 4, jpeg.length]];
  const ifd = Buffer.alloc(2 + fields.length * 12 + 4);
  ifd.writeUInt16LE(fields.length, 0);
  fields.forEach(([tag, type, value], i) => {
    ifd.writeUInt16LE(tag, 2 + i * 12);
    ifd.writeUInt16LE(type, 4 + i * 12);
    ifd.writeUInt32LE(1, 6 + i * 12);
    if (type === 3) ifd.writeUInt16LE(value, 10 + i * 12);
    else ifd.writeUInt32LE(value, 10 + i * 12);
  });
  return Buffer.concat([Buffer.from([0x49, 0x49, 42, 0, 8, 0, 0, 0]), ifd, jpeg]);
}
