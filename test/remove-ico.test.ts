import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pngChunk } from "./helpers/make-images.js";
import { findMarker } from "./helpers/marker-scan.js";
import { expectQuickRefusal } from "./helpers/quick-refusal.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { startServer, type RunningServer } from "./helpers/server.js";
import { CONVERT, run } from "./helpers/tools.js";

/*
 * Windows icons and cursors were refused ("not supported (ICO)"): ExifTool reads only their
 * directory, yet a PNG entry is a whole PNG with its text chunks, and bytes between and after the
 * images are anyone's.
 */

const MARKER = `Icomark${crypto.randomBytes(6).toString("hex")}`;
const IEND = 12;

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-ico-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** ImageMagick's signature of every picture of an icon, in order. */
async function signatures(bytes: Buffer): Promise<string[]> {
  const file = path.join(dir, `sig-${crypto.randomUUID()}.ico`);
  await fs.writeFile(file, bytes);
  const { stdout } = await run(CONVERT, [`ico:${file}`, "-format", "%#\n", "info:"]);
  return stdout.toString("utf8").trim().split("\n");
}

/**
 * An icon drawn by ImageMagick (a 256-pixel PNG entry, 32- and 16-pixel bitmap entries), then
 * marked: a tEXt chunk in the PNG, bytes between the images, the directory's reserved bytes, and
 * a trailer.
 */
async function markedIcon(): Promise<{ drawn: Buffer; marked: Buffer }> {
  const file = path.join(dir, "drawn.ico");
  await run(CONVERT, ["-size", "256x256", "gradient:#ff3000-#0040ff", "(", "+clone", "-resize", "32x32", ")", "(", "+clone", "-resize", "16x16", ")", `ico:${file}`]);
  const drawn = await fs.readFile(file);
  const count = drawn.readUInt16LE(4);
  const directory = Buffer.from(drawn.subarray(0, 6 + 16 * count));
  const images: Buffer[] = [];
  let at = directory.length;
  for (let i = 0; i < count; i++) {
    const entry = 6 + 16 * i;
    let image = drawn.subarray(drawn.readUInt32LE(entry + 12), drawn.readUInt32LE(entry + 12) + drawn.readUInt32LE(entry + 8));
    if (image.subarray(1, 4).toString("latin1") === "PNG") {
      image = Buffer.concat([image.subarray(0, image.length - IEND), pngChunk("tEXt", Buffer.from(`Comment\0${MARKER}`, "latin1")), image.subarray(image.length - IEND)]);
    }
    const gap = Buffer.from(`gap ${MARKER}`, "latin1");
    directory[entry + 3] = 0x5a;
    directory.writeUInt32LE(image.length, entry + 8);
    directory.writeUInt32LE(at + gap.length, entry + 12);
    images.push(gap, image);
    at += gap.length + image.length;
  }
  return { drawn, marked: Buffer.concat([directory, ...images, Buffer.from(`trailer ${MARKER}`, "latin1")]) };
}

describe("POST /api/v1/remove on Windows icons", () => {
  it("cleans PNG entries, drops bytes between and after images, and keeps every picture", async () => {
    const { drawn, marked } = await markedIcon();
    expect(marked.includes(Buffer.from("\x89PNG", "latin1"))).toBe(true);
    const file = path.join(dir, "marked.ico");
    await fs.writeFile(file, marked);
    const { status, body, cleaned } = await removeViaApi(server, file, "app.ico");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    const count = cleaned!.readUInt16LE(4);
    for (let i = 0; i < count; i++) expect(cleaned![6 + 16 * i + 3]).toBe(0);
    expect(await signatures(cleaned!)).toEqual(await signatures(drawn));
  });

  it("an image outside the file is a quick 422 in words", async () => {
    const { marked } = await markedIcon();
    marked.writeUInt32LE(marked.length, 6 + 12);
    const file = path.join(dir, "outside.ico");
    await fs.writeFile(file, marked);
    const { status, body } = await removeViaApi(server, file);
    expect(status).toBe(422);
    expect(body["error"]).toBe("The icon file is damaged: an image lies outside the file.");
  });

  it("hundreds of entries pointing at the same 1 MB bitmap are refused quickly, not copied over and over", async () => {
    // ExifTool's ICO magic takes at most 255 images (the count's high byte zero).
    const count = 255;
    const side = 512; // 512 x 512 x 32 bits: 1 MB of rows
    const bitmap = Buffer.alloc(40 + side * side * 4 + (side / 8) * side);
    bitmap.writeUInt32LE(40, 0);
    bitmap.writeInt32LE(side, 4);
    bitmap.writeInt32LE(2 * side, 8);
    bitmap.writeUInt16LE(1, 12);
    bitmap.writeUInt16LE(32, 14);
    const directory = Buffer.alloc(6 + 16 * count);
    directory.writeUInt16LE(1, 2);
    directory.writeUInt16LE(count, 4);
    for (let i = 0; i < count; i++) {
      directory.writeUInt16LE(32, 6 + 16 * i + 6);
      directory.writeUInt32LE(bitmap.length, 6 + 16 * i + 8);
      directory.writeUInt32LE(directory.length, 6 + 16 * i + 12);
    }
    await expectQuickRefusal(server, dir, "shared.ico", Buffer.concat([directory, bitmap]));
  });
});
