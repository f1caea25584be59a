import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectHeifCleanedSamePixels } from "./helpers/heif-cleaned.js";
import { heifWithItems } from "./helpers/make-exif-blocks.js";
import { heifPixelSignature, makeHeif } from "./helpers/make-images.js";
import { findMarker } from "./helpers/marker-scan.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * An XMP item may be stored deflated (its `infe` says so). ExifTool's rewrite empties the item
 * and keeps that content encoding, and libheif 1.15 never returns from inflating an empty
 * deflated item: heif-convert and ImageMagick hung on the copy. An `infe` of version 0 or 1 has
 * no item type, only a content type and encoding: ExifTool takes its item for XMP all the same.
 */

const MARKER = `MRKdefl${process.pid}`;
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-heif-deflated-xmp-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const XMP = `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator><rdf:Seq><rdf:li>${MARKER}</rdf:li></rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;

describe("a HEIC or AVIF whose XMP item is deflated", () => {
  // libheif 1.15 reads a version 0 or 1 infe's encoding but inflates only items typed `mime`: those
  // copies did not hang, but an item not describing the picture, which ExifTool leaves, kept the XMP.
  it.each([
    { kind: "heic", infeVersion: 2, describes: false },
    { kind: "avif", infeVersion: 2, describes: false },
    { kind: "heic", infeVersion: 0, describes: true },
    { kind: "avif", infeVersion: 1, describes: true },
    { kind: "heic", infeVersion: 0, describes: false },
  ] as const)("$kind, infe version $infeVersion, describing the picture: $describes: cleaned into a copy libheif decodes to the same pixels", async ({ kind, infeVersion, describes }) => {
    const own = await fs.mkdtemp(path.join(dir, `${kind}-v${infeVersion}-`));
    const made = await fs.readFile(await makeHeif(own, "heif-marker", kind));
    const data = zlib.deflateSync(XMP);
    const file = path.join(own, `deflated-xmp.${kind}`);
    await fs.writeFile(file, heifWithItems(made, [{ type: "mime", contentType: "application/rdf+xml", encoding: "deflate", extents: [[0, data.length]], infeVersion, describes }], data));
    expect(await findMarker(file, MARKER)).not.toEqual([]);

    await expectHeifCleanedSamePixels(server, file, MARKER, await heifPixelSignature(file));
  }, 150_000);
});
