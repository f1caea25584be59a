import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, pixelSignature, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Pnmmark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-netpbm-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * A 7x5 gradient written by ImageMagick (`-compress none` for the plain formats, a 16-bit PPM
 * among the raw ones), with comments holding the marker put where the format lets them be:
 * after the magic number and before the maximum value (where ExifTool looks for them; it does not
 * recognise a picture with one between the width and the height) and, in a plain picture, among
 * the pixel numbers and at the end, as mat2's sample has them.
 */
async function markedPicture(ext: "pbm" | "pgm" | "ppm", plain: boolean, depth: 8 | 16): Promise<string> {
  const made = path.join(dir, `made-${crypto.randomUUID()}.${ext}`);
  await run(CONVERT, ["-size", "7x5", "gradient:#ff2000-#0030ff", "-depth", String(depth), ...(plain ? ["-compress", "none"] : []), made]);
  const bytes = await fs.readFile(made);
  const magic = bytes.toString("latin1", 0, 2);
  const hasMax = magic !== "P1" && magic !== "P4";
  const head = (hasMax ? /^P[1-6]\s+(\d+)\s+(\d+)\s+(\d+)\s/ : /^P[1-6]\s+(\d+)\s+(\d+)\s/).exec(bytes.toString("latin1", 0, 64));
  if (head == null) throw new Error("ImageMagick wrote no Netpbm header");
  const [, width, height, maxval] = head;
  const header = `${magic}\n# ${MARKER} after magic\n#second line ${MARKER}\n${width} ${height}\n${hasMax ? `# ${MARKER} before maxval\n${maxval}\n` : ""}`;
  let raster = bytes.subarray(head[0].length);
  if (plain) {
    const text = raster.toString("latin1");
    const middle = text.indexOf("\n", text.length / 2);
    raster = Buffer.from(`${text.slice(0, middle)}\n# ${MARKER} among the pixels\n${text.slice(middle + 1)}  # ${MARKER} at the end\n`, "latin1");
  }
  const file = path.join(dir, `marked-${crypto.randomUUID()}.${ext}`);
  await fs.writeFile(file, Buffer.concat([Buffer.from(header, "latin1"), raster]));
  return file;
}

async function fileType(file: string): Promise<string> {
  const bare = path.join(dir, `bare-${crypto.randomUUID()}`);
  await fs.copyFile(file, bare);
  return (await exiftool(["-s3", "-FileType", bare])).trim();
}

describe("POST /api/v1/remove on Netpbm pictures (PBM, PGM, PPM)", () => {
  it.each([
    { ext: "pbm", plain: true, depth: 8 },
    { ext: "pgm", plain: true, depth: 8 },
    { ext: "ppm", plain: true, depth: 8 },
    { ext: "pbm", plain: false, depth: 8 },
    { ext: "pgm", plain: false, depth: 8 },
    { ext: "ppm", plain: false, depth: 16 },
  ] as const)("removes every comment from a $ext (plain: $plain, $depth-bit), pixels unchanged", async ({ ext, plain, depth }) => {
    const file = await markedPicture(ext, plain, depth);
    expect((await findMarker(file, MARKER)).length).toBeGreaterThan(0);
    const type = ext.toUpperCase();
    expect(await fileType(file)).toBe(type);
    const pixels = await pixelSignature(file);

    const { status, body, cleaned } = await removeViaApi(server, file, `scan.${ext}`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(body["removed"]).toEqual({ file: 1 });
    const out = path.join(dir, `cleaned-${crypto.randomUUID()}.${ext}`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    // A plain picture is text throughout: no comment is left in it anywhere.
    if (plain) expect(cleaned!.includes("#")).toBe(false);
    expect(await fileType(out)).toBe(type);
    expect(await pixelSignature(out)).toBe(pixels);
  });

  it("says in words why a raw picture whose pixels are cut short cannot be cleaned", async () => {
    const file = await markedPicture("ppm", false, 8);
    const bytes = await fs.readFile(file);
    await fs.writeFile(file, bytes.subarray(0, bytes.length - 10));
    const { status, body } = await removeViaApi(server, file, "cut.ppm");
    expect(status).toBe(422);
    expect(body["error"]).toBe("The Netpbm picture is damaged: its pixel data is cut short.");
  });
});
