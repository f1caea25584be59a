import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findingsOf } from "../src/metadata/findings/index.js";
import { decodePictureAhead } from "../src/metadata/findings/previews.js";
import { decodeScale, readJpegHeader } from "../src/metadata/findings/previews-header.js";
import type { RawTags } from "../src/metadata/read-task.js";
import { picture, withThumbnail } from "./helpers/make-findings.js";
import { CONVERT, EXIFTOOL, exiftool, run } from "./helpers/tools.js";

let dir: string;
/** The decode ahead's scratch folder (made by it). */
let aheadDir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-previews-ahead-"));
  aheadDir = path.join(dir, "ahead");
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

// The comparison itself, with the picture decoded ahead, is proven through the service in
// findings.test.ts (a thumbnail of another picture is high in extraction and removal alike).
describe("the main picture decoded ahead of the ExifTool read", () => {
  it("is decoded for a JPEG with an EXIF block, into the 16 x 16 grey grid the comparison reads", async () => {
    const main = await withThumbnail(dir, await picture(dir, "camera.jpg"), await picture(dir, "other.png", "gradient:red-blue"));
    const ahead = await decodePictureAhead(main, aheadDir);
    expect(ahead?.grid).toBeInstanceOf(Uint8Array);
    expect(ahead?.grid?.length).toBe(16 * 16);
    // djpeg's grey pixels went through a file there, removed once read.
    expect(await fs.readdir(aheadDir)).toEqual([]);
  });

  it("comes with the EXIF thumbnail's grid, decoded meanwhile at the place ExifTool gives it", async () => {
    const main = await withThumbnail(dir, await picture(dir, "with-thumb.jpg"), await picture(dir, "thumb-of.png", "gradient:red-blue"));
    const place = JSON.parse(await exiftool(["-j", "-n", "-ThumbnailOffset", "-ThumbnailLength", main])) as Array<Record<string, number>>;
    const ahead = await decodePictureAhead(main, aheadDir);
    expect(ahead?.previews).toHaveLength(1);
    expect(ahead?.previews[0]).toMatchObject({ start: place[0]?.["ThumbnailOffset"], length: place[0]?.["ThumbnailLength"] });
    expect(ahead?.previews[0]?.grid.length).toBe(16 * 16);
  });

  it("gives the comparison the thumbnail's grid it would decode itself: same verdicts, and the grid ahead is the one compared", async () => {
    const scratch = await fs.mkdtemp(path.join(dir, "scratch-"));
    const severity = async (file: string, picture?: Awaited<ReturnType<typeof decodePictureAhead>>) => {
      const tags = (JSON.parse(await exiftool(["-json", "-G0", "-u", file])) as RawTags[])[0]!;
      return (await findingsOf(tags, file, scratch, picture === undefined ? {} : { picture })).find((f) => f.kind === "previews")?.severity;
    };
    const same = await withThumbnail(dir, await picture(dir, "same.jpg"), path.join(dir, "same.jpg"));
    const other = await withThumbnail(dir, await picture(dir, "other.jpg"), await picture(dir, "other-thumb.png", "gradient:red-blue"));
    const sameAhead = await decodePictureAhead(same, aheadDir);
    expect(sameAhead?.previews).toHaveLength(1);
    expect([await severity(same), await severity(same, sameAhead)]).toEqual(["low", "low"]);
    expect([await severity(other), await severity(other, await decodePictureAhead(other, aheadDir))]).toEqual(["high", "high"]);
    // A thumbnail grid ahead that is not this thumbnail's is believed: the comparison decodes nothing itself.
    const inverted = sameAhead!.previews.map((p) => ({ ...p, grid: p.grid.map((v) => 255 - v) }));
    expect(await severity(same, { ...sameAhead!, previews: inverted })).toBe("high");
  });

  it("is left to the comparison for a JPEG whose header holds only JFIF and XMP", async () => {
    const plain = await picture(dir, "plain.jpg");
    await run(EXIFTOOL, ["-q", "-overwrite_original", "-XMP-dc:Title=no preview here", plain]);
    const head = await fs.readFile(plain);
    expect(head.includes(Buffer.from("Exif\0\0", "latin1"))).toBe(false);
    expect(await decodePictureAhead(plain, aheadDir)).toBeNull();
  });

  it("is left to the comparison for a JPEG whose EXIF block has no thumbnail IFD", async () => {
    const tagged = await picture(dir, "tagged.jpg");
    await run(EXIFTOOL, ["-q", "-overwrite_original", "-Make=Canon", "-DateTimeOriginal=2024:03:15 10:30:00", tagged]);
    expect((await fs.readFile(tagged)).includes(Buffer.from("Exif\0\0", "latin1"))).toBe(true);
    expect(await decodePictureAhead(tagged, aheadDir)).toBeNull();
  });
});

describe("a preview too large to decode in the thread", () => {
  it("is decoded by djpeg from a scratch folder the comparison makes itself (the caller only removes it)", async () => {
    const main = await picture(dir, "large-thumb.jpg", "plasma:fractal", "800x600");
    const thumb = path.join(dir, "large-thumb-preview.jpg");
    // 400 x 300: past the 100,000 pixels decoded in the worker thread, within one APP1 segment.
    await run(CONVERT, [await picture(dir, "large-other.png", "gradient:red-blue", "800x600"), "-resize", "400x300!", "-quality", "40", thumb]);
    await run(EXIFTOOL, ["-q", "-overwrite_original", `-ThumbnailImage<=${thumb}`, main]);
    const tags = (JSON.parse(await exiftool(["-json", "-G0", "-u", main])) as RawTags[])[0]!;
    const scratch = path.join(dir, "scratch-not-made");
    expect((await findingsOf(tags, main, scratch)).find((f) => f.kind === "previews")?.severity).toBe("high");
    expect(await fs.readdir(scratch)).toEqual([]);
  });
});

describe("how much djpeg scales a picture down while decoding it", () => {
  it.each([
    ["an EXIF thumbnail", { width: 160, height: 120 }, 9_000, "1/1"],
    ["a 1 MP photo", { width: 1152, height: 864 }, 712_000, "1/4"],
    ["a 12 MP photo", { width: 4000, height: 3000 }, 7_800_000, "1/8"],
    ["a flat 12 MP picture of 47 KB", { width: 4000, height: 3000 }, 47_000, "1/8"],
    ["a 640 x 480 picture of 2 MB", { width: 640, height: 480 }, 2_000_000, "1/2"],
    ["a file without a frame header in reach, by its size", null, 700_000, "1/4"],
  ] as const)("%s: %s", (_what, frame, size, scale) => {
    expect(decodeScale({ frame, size })).toBe(scale);
  });

  it("reads the frame's size from the header, past the EXIF block", async () => {
    const flat = path.join(dir, "flat.jpg");
    await run(CONVERT, ["-size", "4000x3000", "xc:gray50", "-quality", "75", flat]);
    const withThumb = await withThumbnail(dir, flat, await picture(dir, "flat-thumb.png", "xc:gray50"));
    const head = await readJpegHeader(withThumb);
    expect(head).toMatchObject({ frame: { width: 4000, height: 3000 }, previews: true });
    expect(head.size).toBeLessThan(100 * 1024);
    expect(decodeScale(head)).toBe("1/8");
    expect((await decodePictureAhead(withThumb, aheadDir))?.grid?.length).toBe(16 * 16);
  });
});

describe("a JPEG whose frame declares far more pixels than its file holds", () => {
  it("is not decoded past 16 M grey pixels: the comparison is left undone, quickly", async () => {
    const main = await withThumbnail(dir, await picture(dir, "huge.jpg", "plasma:fractal", "1152x864"), await picture(dir, "huge-thumb.png"));
    const bytes = await fs.readFile(main);
    // The main picture's frame header (the thumbnail inside the EXIF block has one of its own).
    let pos = 2;
    while (bytes[pos + 1] !== 0xc0) pos += 2 + bytes.readUInt16BE(pos + 2);
    bytes.writeUInt16BE(65000, pos + 5);
    bytes.writeUInt16BE(65000, pos + 7);
    await fs.writeFile(main, bytes);
    expect(decodeScale(await readJpegHeader(main))).toBe("1/8");
    const started = performance.now();
    const ahead = await decodePictureAhead(main, aheadDir);
    expect(ahead).not.toBeNull();
    expect(ahead?.grid).toBeNull();
    expect(ahead?.previews).toHaveLength(1);
    // 66 MB of grey pixels at an eighth; stopped at 16 MB (~0.3 s of djpeg here, idle).
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});
