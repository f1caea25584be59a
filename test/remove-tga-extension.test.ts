import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { markedTga, TGA_SIGNATURE, type TgaText } from "./helpers/make-bitmaps.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { postFile, startServer, type RunningServer } from "./helpers/server.js";
import { CONVERT, run } from "./helpers/tools.js";

/*
 * A Targa picture's version 2 extension area went whole: with `keep=copyright` its author's name
 * went too (the area's one rights field), and so did what it says about drawing the picture that
 * DirectXTex and GDAL read (whether the fourth channel is alpha, gamma, pixel aspect ratio).
 */

const MARKER = `Tgaext${crypto.randomBytes(6).toString("hex")}`;
const OWNER = "Jane Roe";
const TEXT: TgaText = {
  imageId: `id ${MARKER}`,
  // Text after the name's NUL is no part of it.
  author: `${OWNER}\0${MARKER}`,
  comments: `note ${MARKER}`,
  jobName: `job ${MARKER}`,
  software: `Paint ${MARKER}`,
  developer: `private ${MARKER}`,
  stamp: `stamp ${MARKER}`,
};
const EXTENSION = 495;

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-tga-ext-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

async function write(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, bytes);
  return file;
}

/** ImageMagick's signature of the decoded picture. */
async function signature(bytes: Buffer): Promise<string> {
  const file = await write(`sig-${crypto.randomUUID()}.tga`, bytes);
  const { stdout } = await run(CONVERT, [`tga:${file}`, "-format", "%#", "info:"]);
  return stdout.toString("utf8").trim();
}

/** Where the marked file's extension area is (its footer's first field). */
function extensionOf(tga: Buffer): number {
  return tga.readUInt32LE(tga.length - 26);
}

/** The extension area and footer expected after `pixelsEnd`: `fields` set, the rest zero. */
function expectedTail(pixelsEnd: number, fields: (area: Buffer) => void): Buffer {
  const area = Buffer.alloc(EXTENSION);
  area.writeUInt16LE(EXTENSION, 0);
  fields(area);
  const footer = Buffer.alloc(26);
  footer.writeUInt32LE(pixelsEnd, 0);
  footer.write(TGA_SIGNATURE, 8, "latin1");
  return Buffer.concat([area, footer]);
}

describe("TGA extension area", () => {
  it("keep=copyright keeps the author's name, and nothing else the area tells", async () => {
    const { drawn, marked } = await markedTga(path.join(dir, "rights.tga"), false, "TrueColor", TEXT);
    const { status, body, cleaned } = await removeViaApi(server, await write("rights-marked.tga", marked), "rights.tga", { keep: "copyright" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({ tga: { Author: OWNER } });
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    expect(cleaned!.equals(Buffer.concat([drawn, expectedTail(drawn.length, (a) => a.write(OWNER, 2, "latin1"))]))).toBe(true);
    expect(await signature(cleaned!)).toBe(await signature(marked));
    // The service's own read of the copy shows the name where the specification puts it.
    const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "copy.tga", data: cleaned! }, { headers: { "X-API-Key": server.apiKey } });
    const read = (await res.json()) as { metadata: Record<string, Record<string, unknown>> };
    expect(read.metadata["tga"]).toEqual({ Author: OWNER });
  });

  it("carries how to draw the picture (alpha, gamma, pixel aspect) as reduced fractions; the key colour and text go", async () => {
    const { drawn, marked } = await markedTga(path.join(dir, "alpha.tga"), true, "TrueColorAlpha", TEXT);
    expect(drawn[17]! & 0x0f).toBe(8);
    const ext = extensionOf(marked);
    marked.writeUInt32LE(0x11223344, ext + 470); // key colour
    [4, 4, 22, 10].forEach((n, i) => marked.writeUInt16LE(n, ext + 474 + 2 * i)); // pixel aspect 4:4, gamma 22/10
    marked[ext + 494] = 3; // useful alpha
    const { status, body, cleaned } = await removeViaApi(server, await write("alpha-marked.tga", marked), "alpha.tga");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    const tail = expectedTail(drawn.length, (a) => {
      [1, 1, 11, 5].forEach((n, i) => a.writeUInt16LE(n, 474 + 2 * i));
      a[494] = 3;
    });
    expect(cleaned!.equals(Buffer.concat([drawn, tail]))).toBe(true);
    expect(await signature(cleaned!)).toBe(await signature(marked));
  });

  it("leaves out values the specification does not define (gamma over 10, a zero denominator, an unknown attributes type)", async () => {
    const { drawn, marked } = await markedTga(path.join(dir, "odd.tga"), false, "TrueColorAlpha", TEXT);
    const ext = extensionOf(marked);
    [7, 0, 2000, 3].forEach((n, i) => marked.writeUInt16LE(n, ext + 474 + 2 * i));
    marked[ext + 494] = 0x77;
    const { status, body, cleaned } = await removeViaApi(server, await write("odd-marked.tga", marked), "odd.tga");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(cleaned!.equals(drawn)).toBe(true);
  });
});
