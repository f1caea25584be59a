import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg, makePng } from "./helpers/make-images.js";
import { type LegacyKind, initialsOf, legacyOfficePictures, legacyOfficeText, makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool, pixelSignature } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-legacy-office-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const cases: Array<{ kind: LegacyKind; fileType: string; text: string }> = [
  { kind: "doc", fileType: "DOC", text: "Hello body text of the document" },
  { kind: "xls", fileType: "XLS", text: "beta cell" },
  { kind: "ppt", fileType: "PPT", text: "Hello slide text" },
];

/** ExifTool's FileType of a copy without extension, as the service reads it. */
async function fileType(file: string): Promise<string> {
  const bare = path.join(dir, `bare-${crypto.randomUUID()}`);
  await fs.copyFile(file, bare);
  return (await exiftool(["-s3", "-FileType", bare])).trim();
}

describe("POST /api/v1/remove on Word, Excel and PowerPoint 97-2003", () => {
  it.each(cases)("$kind: property sets, author fields (Word: comment and tracked-change authors too) and picture metadata gone, text and pictures as they were", async ({ kind, fileType: type, text }) => {
    const marker = `Legacy${kind}${crypto.randomBytes(5).toString("hex")}`;
    // A JPEG (EXIF with GPS and a thumbnail, XMP, IPTC, ICC profile, comment, trailer) and a PNG
    // (eXIf, text chunks, iCCP, tIME, a private chunk) carrying the marker, placed in the document.
    const pictures: Buffer[] = [];
    const drawn: string[] = [];
    for (const make of [makeJpeg, makePng]) {
      const own = await fs.mkdtemp(path.join(dir, "picture-"));
      const picture = await make(own, marker);
      pictures.push(await fs.readFile(picture));
      drawn.push(await pixelSignature(picture));
    }
    const file = await makeMarkedLegacyOffice(dir, kind, marker, pictures);
    expect(await findMarker(file, marker)).not.toEqual([]);
    expect(await fileType(file)).toBe(type);
    const before = await legacyOfficeText(dir, kind, file);
    expect(before).toContain(text);

    const { status, body, cleaned } = await removeViaApi(server, file, `report.${kind}`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    // The pictures' own tags count too: the document's property sets are FlashPix. The Word
    // document's comment ("A remark") and tracked deletion ("deleted words") go as well.
    const review = kind === "doc" ? ["comments", "trackedChanges"] : [];
    expect(Object.keys(body["removed"] as object).sort()).toEqual(["exif", "file", "flashpix", "icc_profile", "iptc", "png", "xmp", ...review].sort());
    const out = path.join(dir, `cleaned-${crypto.randomUUID()}.${kind}`);
    await fs.writeFile(out, cleaned!);

    expect(await findMarker(out, marker)).toEqual([]);
    expect(await fileType(out)).toBe(type);
    if (kind === "doc") {
      // Blanked in place: spaces where the comment and the deleted words were.
      const words = (t: string): string => t.replace(/\s+/gu, " ").trim();
      expect(words(await legacyOfficeText(dir, kind, out))).toBe(words(before.replace("deleted words", "").replace("A remark", "")));
    } else {
      expect(await legacyOfficeText(dir, kind, out)).toBe(before);
    }
    // LibreOffice still finds both pictures in the cleaned file, and they decode to the same pixels.
    expect(await legacyOfficePictures(dir, kind, out)).toEqual(drawn.sort());
    // The property-set streams are gone from the directory (names are UTF-16 there).
    for (const name of ["\u0005SummaryInformation", "\u0005DocumentSummaryInformation"]) expect(cleaned!.indexOf(Buffer.from(name, "utf16le"))).toBe(-1);
    if (kind === "doc") {
      // A comment author's initials hold only the marker's last 9 characters, too few for the scan.
      const initials = Buffer.from(initialsOf(marker), "utf16le");
      expect((await fs.readFile(file)).includes(initials)).toBe(true);
      expect(cleaned!.includes(initials)).toBe(false);
    }
  }, 120_000);

  it("keep=colorProfile: the ICC profile of a picture inside a Word document stays and is listed in remaining", async () => {
    const marker = `Legacykeep${crypto.randomBytes(5).toString("hex")}`;
    const iccMarker = `Legacyicc${crypto.randomBytes(5).toString("hex")}`;
    const own = await fs.mkdtemp(path.join(dir, "picture-"));
    const file = await makeMarkedLegacyOffice(dir, "doc", marker, [await fs.readFile(await makeJpeg(own, marker, { icc: iccMarker }))]);
    const { status, body, cleaned } = await removeViaApi(server, file, "report.doc", { keep: "colorProfile" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(Object.keys(body["remaining"] as object)).toEqual(["icc_profile"]);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    expect(await findMarker(cleaned!, iccMarker)).not.toEqual([]);
  });

  // Encryption leaves the main stream's first 68 bytes in the clear, the rest ciphertext (Tika's
  // testWORD_protected_passtika.doc was refused as damaged: "its header is cut short").
  it.each([
    { what: "its header's flag only", clear: Infinity },
    { what: "ciphertext past its first 68 bytes", clear: 68 },
  ])("refuses an encrypted Word document in words ($what)", async ({ clear }) => {
    const file = await makeMarkedLegacyOffice(dir, "doc", "Encrypted");
    const doc = CFB.read(await fs.readFile(file), { type: "buffer" });
    const word = CFB.find(doc, "WordDocument")!;
    const fib = Buffer.from(word.content);
    fib.writeUInt16LE(fib.readUInt16LE(10) | 0x0100, 10);
    if (clear < fib.length) crypto.randomFillSync(fib, clear);
    word.content = fib;
    const locked = path.join(dir, "locked.doc");
    await fs.writeFile(locked, CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer);
    const { status, body, cleaned } = await removeViaApi(server, locked);
    expect(status).toBe(422);
    expect(body["error"]).toMatch(/^The document is encrypted \(password-protected\).* cannot be cleaned without its password/);
    expect(cleaned).toBeNull();
  });
});
