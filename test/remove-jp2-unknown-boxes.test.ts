import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { box, makeJp2, makeJpx } from "./helpers/make-formats.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { pixelSignature, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Boxmark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-jp2-boxes-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The marker as UTF-8 and as UTF-16: a reader of the box would find either. */
const text = (label: string): Buffer => Buffer.concat([Buffer.from(`${label} ${MARKER} `), Buffer.from(MARKER, "utf16le")]);

/**
 * `file` with boxes no reader of the picture needs, each holding the marker: at the top level a
 * `udta` box, a private type, a free box and an IPR box (`jp2i`), none of which ExifTool shows;
 * inside the JP2 header, after its image header and colour boxes, `children` (a private child,
 * which ExifTool does not show either, or a label, which it shows).
 */
async function withUnknownBoxes(file: string, children: Buffer): Promise<void> {
  const bytes = await fs.readFile(file);
  const jp2h = bytes.indexOf("jp2h", 0, "latin1") - 4;
  const size = bytes.readUInt32BE(jp2h);
  const header = Buffer.concat([bytes.subarray(jp2h, jp2h + size), children]);
  header.writeUInt32BE(header.length);
  const top = Buffer.concat([box("udta", text("user data")), box("prvt", text("private")), box("free", text("free")), box("jp2i", text("rights"))]);
  await fs.writeFile(file, Buffer.concat([bytes.subarray(0, jp2h), header, top, bytes.subarray(jp2h + size)]));
}

/** The picture as openjpeg decodes it. */
async function decoded(file: string): Promise<string> {
  const out = `${file}.png`;
  await run("/usr/bin/opj_decompress", ["-i", file, "-o", out]);
  return pixelSignature(out);
}

describe("POST /api/v1/remove on a JPEG 2000 file with boxes ExifTool does not write", () => {
  // Only a deny-list of top-level types went: a box of any other type passed through with what it
  // held (a 200 with the marker in the copy), and a label inside the JP2 header, which ExifTool
  // reads but does not remove, made a valid file a 422.
  it.each([
    ["JP2", "zzzz", "jp2", makeJp2],
    ["JPX", "zzzz", "jpx", makeJpx],
    ["JP2", "lbl ", "jp2", makeJp2],
  ] as const)("keeps only the boxes that show the picture (%s, a %j box in its header)", async (_type, child, ext, make) => {
    const sub = await fs.mkdtemp(path.join(dir, `${ext}-`));
    const file = await make(sub, MARKER);
    await withUnknownBoxes(file, box(child, text("header child")));
    const pixels = await decoded(file);

    const { status, body, cleaned } = await removeViaApi(server, file, `picture.${ext}`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(sub, `cleaned.${ext}`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    for (const type of ["udta", "prvt", "free", "jp2i", child]) expect(cleaned!.includes(type, 0, "latin1"), type).toBe(false);
    expect(cleaned!.includes("ihdr", 0, "latin1")).toBe(true);
    expect(await decoded(out)).toBe(pixels);
  });
});
