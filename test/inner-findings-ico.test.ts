import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pngWithText } from "./helpers/make-findings.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, run } from "./helpers/tools.js";

interface Finding {
  kind: string;
  title: string;
  tags: string[];
  value?: string;
}

let server: RunningServer;
let dir: string;
const AUTHOR = `IconAuthor${crypto.randomBytes(4).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-ico-findings-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * An icon of two images: a 16-pixel bitmap (ImageMagick's) and a 32-pixel PNG holding a tEXt
 * Author and an eXIf chunk with a GPS position, as an editor exporting the icon writes them.
 */
async function markedIcon(): Promise<Buffer> {
  const png = path.join(dir, "image.png");
  await run(CONVERT, ["-size", "32x32", "gradient:#ff3000-#0040ff", png]);
  await exiftool(["-q", "-overwrite_original", "-GPSLatitude=48.8584", "-GPSLatitudeRef=N", "-GPSLongitude=2.2945", "-GPSLongitudeRef=E", png]);
  const pngBytes = await fs.readFile(await pngWithText(png, { Author: AUTHOR }));
  const small = path.join(dir, "small.ico");
  await run(CONVERT, ["-size", "16x16", "xc:#20a040", `ico:${small}`]);
  const icon = await fs.readFile(small);
  const bitmap = icon.subarray(icon.readUInt32LE(6 + 12), icon.readUInt32LE(6 + 12) + icon.readUInt32LE(6 + 8));
  const directory = Buffer.alloc(6 + 2 * 16);
  directory.writeUInt16LE(1, 2);
  directory.writeUInt16LE(2, 4);
  icon.copy(directory, 6, 6, 6 + 16);
  directory.writeUInt32LE(directory.length, 6 + 12);
  directory.set([32, 32, 0, 0], 6 + 16);
  directory.writeUInt16LE(1, 6 + 16 + 4);
  directory.writeUInt16LE(32, 6 + 16 + 6);
  directory.writeUInt32LE(pngBytes.length, 6 + 16 + 8);
  directory.writeUInt32LE(directory.length + bitmap.length, 6 + 16 + 12);
  return Buffer.concat([directory, bitmap, pngBytes]);
}

describe("extraction of an ICO whose PNG image holds text and EXIF", () => {
  // ExifTool reads an icon's directory only: the PNG image's author and GPS position, which the
  // cleaner removes, were not shown at all.
  it("shows what the PNG image gives away as findings naming it, in the extract answer and by UUID", async () => {
    const data = await markedIcon();
    const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "app.ico", data }, { headers: { "X-API-Key": server.apiKey } });
    const body = (await res.json()) as { findings: Finding[]; uuid: string };
    expect(res.status, JSON.stringify(body)).toBe(200);
    const about = (findings: Finding[]) => findings.filter((f) => f.title.startsWith("image 2: "));
    const found = about(body.findings);
    expect(found.find((f) => f.kind === "location")?.value).toMatch(/^48\.858\d*, 2\.294\d*$/);
    expect(found.find((f) => f.kind === "people")?.value).toContain(AUTHOR);
    expect(body.findings.some((f) => f.title.startsWith("image 1: "))).toBe(false);

    const again = (await (await fetch(`${server.baseUrl}/api/v1/extract/${body.uuid}`, { headers: { "X-API-Key": server.apiKey } })).json()) as { findings: Finding[] };
    expect(about(again.findings)).toEqual(found);
  });
});
