import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gzipWithName, handZip, makeTar } from "./helpers/make-archives.js";
import { apicFrame, bareMp3, flacWithPictures, id3v23Head, mp3WithPictures } from "./helpers/make-covers.js";
import { makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { embedObjects, makePptWithWorkbook, ole1Object, oleObjectFile, packagerData, withOleObjects } from "./helpers/make-ole-objects.js";
import { makeOffice } from "./helpers/make-office.js";
import { makeMarkedPdf, makePdfWithAttachments, markedJpeg } from "./helpers/make-pdf.js";
import { appendInside, keyedMeta } from "./helpers/plant-boxes.js";
import { embeddedFile, layerBlock, makeLayeredPsd } from "./helpers/make-psd-layers.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { pngChunk } from "./helpers/make-images.js";
import { CONVERT, EXIFTOOL, ffmpegQuiet, run } from "./helpers/tools.js";

interface Finding {
  kind: string;
  severity: string;
  title: string;
  tags: string[];
  value?: string;
}

let server: RunningServer;
let tmp: string;
/** A camera photo: EXIF Artist and a GPS latitude/longitude (48.8584 N, 2.2945 E), XMP creator, a comment. */
let photo: Buffer;

const ARTIST = "InnerArtistMark";

beforeAll(async () => {
  server = await startServer();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "inner-findings-"));
  const file = path.join(tmp, "photo.jpg");
  await fs.writeFile(file, await markedJpeg(tmp, ARTIST));
  await run(EXIFTOOL, ["-q", "-overwrite_original", "-GPSLongitude=2.2945", "-GPSLongitudeRef=E", file]);
  photo = await fs.readFile(file);
});

afterAll(async () => {
  await server.stop();
  await fs.rm(tmp, { recursive: true, force: true });
});

async function extract(name: string, data: Buffer): Promise<{ findings: Finding[]; metadata: unknown; warnings: string[]; uuid: string }> {
  const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name, data }, { headers: { "X-API-Key": server.apiKey } });
  const body = (await res.json()) as Record<string, unknown>;
  expect(res.status, JSON.stringify(body)).toBe(200);
  return { findings: body["findings"] as Finding[], metadata: body["metadata"], warnings: body["warnings"] as string[], uuid: body["uuid"] as string };
}

/** The findings about one inner file: their titles start with its name, or list it among several. */
function about(findings: readonly Finding[], name: string): Finding[] {
  return findings.filter((f) => f.title.startsWith(`${name}: `) || sharedBy(f).includes(name));
}

/**
 * The inner files a finding several of them share is about, as its title lists them ("3 files
 * inside (a.jpg, picture 1–2): The file ..."), a run of numbered names spelt out; [] for another.
 */
function sharedBy(f: Finding): string[] {
  const m = /^(\d+) files inside \((.+)\): The (?:file|document|PDF)\b/s.exec(f.title);
  if (m == null) return [];
  const names = m[2]!.split(", ").flatMap((listed) => {
    const run = /^(.*?)(\d+)–(\d+)$/.exec(listed);
    return run == null ? [listed] : Array.from({ length: Number(run[3]) - Number(run[2]) + 1 }, (_, i) => `${run[1]}${Number(run[2]) + i}`);
  });
  expect(names, f.title).toHaveLength(Number(m[1]));
  return names;
}

/** The sentence of an inner file's finding, without the files it names. */
function sentenceOf(f: Finding): string {
  return f.title.replace(/^.+?: (?=The (?:file|document|PDF)\b)/s, "");
}

/** A photo's GPS position and its artist, told of the inner file `name`. */
function expectPhotoFindings(findings: readonly Finding[], name: string): void {
  const inner = about(findings, name);
  expect(inner.find((f) => f.kind === "location"), JSON.stringify(findings)).toMatchObject({ severity: "high", value: "48.858400, 2.294500" });
  expect(inner.find((f) => f.kind === "people")?.value).toContain(ARTIST);
}

describe("findings of the files inside a file", () => {
  it("a DOCX's picture: its GPS position and artist are findings naming word/media/image1.jpeg; metadata stays the document's", async () => {
    const docx = await makeOffice("docx", "DocxInnerMark", photo);
    const { findings, metadata } = await extract("report.docx", docx.bytes);
    expectPhotoFindings(findings, "word/media/image1.jpeg");
    // The most serious first: the picture's position is among the high findings at the top.
    expect(findings[0]?.severity).toBe("high");
    expect(JSON.stringify(metadata)).not.toContain("48 deg");
  });

  it("a plain ZIP's members, and a photo inside a DOCX inside a ZIP (named by both paths)", async () => {
    const docx = await makeOffice("docx", "NestedDocxMark", photo);
    const zip = handZip([
      { name: "photos/", directory: true },
      { name: "photos/rome.jpg", data: photo, deflate: true },
      { name: "papers/report.docx", data: docx.bytes },
      { name: "notes.txt", data: Buffer.from("nothing to tell") },
    ]);
    const { findings } = await extract("bundle.zip", zip);
    expectPhotoFindings(findings, "photos/rome.jpg");
    expectPhotoFindings(findings, "papers/report.docx > word/media/image1.jpeg");
    // The inner DOCX's own properties (made by makeOffice with its marker) are findings of it too.
    expect(about(findings, "papers/report.docx").find((f) => f.kind === "people")?.value).toContain("NestedDocxMark");
    expect(about(findings, "notes.txt")).toEqual([]);
  });

  it("a PDF's attached photo, and the photo attached to a PDF attached to it, by their file names", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "pdf-"));
    const { file } = await makePdfWithAttachments(dir, "PdfInnerMark", { inner: photo });
    const { findings } = await extract("attachments.pdf", await fs.readFile(file));
    expectPhotoFindings(findings, "holiday.jpg");
    expectPhotoFindings(findings, "draft.pdf > holiday.jpg");
    expect(about(findings, "draft.pdf").find((f) => f.kind === "people")?.value).toContain("PdfInnerMark");
  });

  it("a PDF whose attachment keys are spelt with name escapes (/#45F for /EF) still has its photo looked into", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "pdf-escaped-"));
    const { file } = await makePdfWithAttachments(dir, "PdfEscapedMark", { inner: photo, nested: false });
    const escaped = Buffer.from((await fs.readFile(file)).toString("latin1").replaceAll("/EF ", "/#45F "), "latin1");
    expect(escaped.includes("/EF")).toBe(false);
    const { findings } = await extract("escaped.pdf", escaped);
    expectPhotoFindings(findings, "holiday.jpg");
  });

  it("a Photoshop document's smart object: the placed photo's GPS and artist, by its original name", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "psd-"));
    const global = layerBlock("lnk2", embeddedFile("5d0f1d2e-placed", "holiday-in-rome.jpg", "JPEG", photo, "xmp.did:1"));
    const psd = await makeLayeredPsd(dir, "PsdInnerMark", () => Buffer.alloc(0), global);
    const { findings } = await extract("placed.psd", await fs.readFile(psd));
    expectPhotoFindings(findings, "holiday-in-rome.jpg");
  });

  it("audio cover art: an MP3's APIC (ID3v2.3 and 2.4), a FLAC PICTURE block and an M4A's covr give the photo's GPS and artist, as picture 1", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "cover-"));
    const cover = path.join(dir, "cover.jpg");
    await fs.writeFile(cover, photo);
    const variants: Array<[string, string[]]> = [
      ["v23.mp3", ["-c:a", "libmp3lame", "-id3v2_version", "3"]],
      ["v24.mp3", ["-c:a", "libmp3lame"]],
      ["song.flac", ["-c:a", "flac"]],
      ["song.m4a", ["-c:a", "aac"]],
    ];
    for (const [name, codec] of variants) {
      const file = path.join(dir, name);
      await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=d=0.5", "-i", cover, "-map", "0", "-map", "1", ...codec, "-c:v", "copy", "-disposition:v", "attached_pic", file]);
      const { findings } = await extract(name, await fs.readFile(file));
      expectPhotoFindings(findings, "picture 1");
    }
  }, 60_000);

  it("a cover of nothing but its picture gives no finding, while one whose only metadata is a comment still has it reported (baseline or progressive)", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "bare-cover-"));
    const covers: Array<[string, string[], boolean]> = [
      ["bare.jpg", [], false],
      ["commented.jpg", [], true],
      ["progressive.jpg", ["-interlace", "JPEG"], true],
    ];
    for (const [name, options, commented] of covers) {
      const cover = path.join(dir, name);
      await run(CONVERT, ["-size", "64x64", "plasma:", "-strip", ...options, cover]);
      if (commented) await run(EXIFTOOL, ["-q", "-overwrite_original", "-Comment=BareCoverNote", cover]);
      const file = path.join(dir, `${name}.mp3`);
      await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=d=0.5", "-i", cover, "-map", "0", "-map", "1", "-c:a", "libmp3lame", "-c:v", "copy", "-disposition:v", "attached_pic", file]);
      const { findings } = await extract(`${name}.mp3`, await fs.readFile(file));
      expect(about(findings, "picture 1").some((f) => f.kind === "hidden"), name).toBe(commented);
    }
  }, 60_000);

  it("a cover of nothing but its picture yet of more tables before its scan than the screen lets through is counted as not looked into, not skipped as bare", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "crowded-cover-"));
    const plain = path.join(dir, "plain.jpg");
    await run(CONVERT, ["-size", "64x64", "plasma:", "-strip", plain]);
    const jpeg = await fs.readFile(plain);
    const dqtAt = jpeg.indexOf(Buffer.from([0xff, 0xdb]));
    const dqt = jpeg.subarray(dqtAt, dqtAt + 2 + jpeg.readUInt16BE(dqtAt + 2));
    // The screen refuses a JPEG past 10,000 segments before its first scan (MAX_JPEG_SEGMENTS).
    const crowded = Buffer.concat([jpeg.subarray(0, dqtAt), ...Array.from({ length: 10_001 }, () => dqt), jpeg.subarray(dqtAt)]);
    const cover = path.join(dir, "crowded.jpg");
    await fs.writeFile(cover, crowded);
    const file = path.join(dir, "crowded.mp3");
    await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=d=0.5", "-i", cover, "-map", "0", "-map", "1", "-c:a", "libmp3lame", "-c:v", "copy", "-disposition:v", "attached_pic", file]);
    const { findings } = await extract("crowded.mp3", await fs.readFile(file));
    expect(findings.find((f) => /were not looked into/.test(f.title)), JSON.stringify(findings)).toMatchObject({ kind: "embedded", value: "1" });
  }, 60_000);

  it("a cover past the window the tag's walk holds in memory (a 0.5 MB photo after 1.5 MB of other frames) is copied from the file and still gives the photo's GPS and artist", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "big-cover-"));
    const cover = path.join(dir, "big.jpg");
    await run(CONVERT, ["-seed", "3", "-size", "900x900", "plasma:", "+noise", "Gaussian", "-quality", "95", cover]);
    await run(EXIFTOOL, ["-q", "-overwrite_original", `-Artist=${ARTIST}`, "-GPSLatitude=48.8584", "-GPSLatitudeRef=N", "-GPSLongitude=2.2945", "-GPSLongitudeRef=E", cover]);
    const picture = await fs.readFile(cover);
    expect(picture.length).toBeGreaterThan(512 * 1024);
    const frame = (id: string, body: Buffer): Buffer => {
      const head = Buffer.alloc(10);
      head.write(id, 0, "latin1");
      head.writeUInt32BE(body.length, 4);
      return Buffer.concat([head, body]);
    };
    const frames = Buffer.concat([
      frame("PRIV", Buffer.concat([Buffer.from("filler\0", "latin1"), Buffer.alloc(1536 * 1024)])),
      frame("APIC", Buffer.concat([Buffer.from([0]), Buffer.from("image/jpeg\0", "latin1"), Buffer.from([3]), Buffer.from("front\0", "latin1"), picture])),
    ]);
    const size = frames.length;
    const head = Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, (size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f]);
    const audio = path.join(dir, "plain.mp3");
    await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=d=0.5", "-c:a", "libmp3lame", "-write_id3v2", "0", "-write_xing", "0", audio]);
    const { findings } = await extract("big-cover.mp3", Buffer.concat([head, frames, await fs.readFile(audio)]));
    expectPhotoFindings(findings, "picture 1");
  }, 60_000);

  it("an MP3 whose whole ID3v2.3 tag is unsynchronised (every 0xFF 0x00 of the picture read back as 0xFF) still has its cover looked into", async () => {
    const frames = apicFrame(photo);
    const unsynced: number[] = [];
    for (let i = 0; i < frames.length; i++) {
      unsynced.push(frames[i]!);
      if (frames[i] === 0xff && (i + 1 === frames.length || frames[i + 1]! >= 0xe0 || frames[i + 1] === 0)) unsynced.push(0);
    }
    expect(unsynced.length).toBeGreaterThan(frames.length);
    const { findings } = await extract("unsync.mp3", Buffer.concat([id3v23Head(unsynced.length, 0x80), Buffer.from(unsynced), await bareMp3(tmp)]));
    expectPhotoFindings(findings, "picture 1");
  });

  it("an ID3v2 tag's cover in a WAV's id3 chunk and an AIFF's ID3 chunk, and a tag appended to an MP3 (before ID3v1) or a FLAC, read by no ExifTool", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "id3-places-"));
    const cover = path.join(dir, "cover.jpg");
    await fs.writeFile(cover, photo);
    const tagged = path.join(dir, "tagged.mp3");
    await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=d=0.5", "-i", cover, "-map", "0", "-map", "1", "-c:a", "libmp3lame", "-c:v", "copy", "-disposition:v", "attached_pic", "-metadata", "artist=AppendedArtistMark", tagged]);
    const taggedBytes = await fs.readFile(tagged);
    const tag = Buffer.from(taggedBytes.subarray(0, 10 + syncsafe(taggedBytes, 6)));
    const audio = async (name: string, args: string[]): Promise<Buffer> => {
      const file = path.join(dir, name);
      await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "sine=d=0.5", ...args, file]);
      return fs.readFile(file);
    };
    for (const [name, form, id, write] of [
      ["song.wav", "RIFF", "id3 ", "writeUInt32LE"],
      ["song.aiff", "FORM", "ID3 ", "writeUInt32BE"],
    ] as const) {
      const plain = await audio(name, []);
      expect(plain.toString("latin1", 0, 4)).toBe(form);
      const chunk = Buffer.alloc(8);
      chunk.write(id, 0, "latin1");
      chunk[write](tag.length, 4);
      const file = Buffer.concat([plain, chunk, tag, Buffer.alloc(tag.length % 2)]);
      file[write](file.length - 8, 4);
      expectPhotoFindings((await extract(name, file)).findings, "picture 1");
    }
    const footed = Buffer.from(tag);
    footed[5] = footed[5]! | 0x10;
    const footer = Buffer.from(footed.subarray(0, 10));
    footer.write("3DI", 0, "latin1");
    const v1 = Buffer.alloc(128);
    v1.write("TAGSongTitle", 0, "latin1");
    const mp3 = Buffer.concat([await audio("bare.mp3", ["-c:a", "libmp3lame", "-write_id3v2", "0"]), footed, footer, v1]);
    const flac = Buffer.concat([await audio("bare.flac", ["-c:a", "flac"]), footed, footer]);
    for (const [name, file] of [["appended.mp3", mp3], ["appended.flac", flac]] as const) {
      const { findings } = await extract(name, file);
      expect(about(findings, "ID3v2 tag at the end").find((f) => f.kind === "people")?.value, JSON.stringify(findings)).toContain("AppendedArtistMark");
      expectPhotoFindings(findings, "ID3v2 tag at the end > picture 1");
    }
  }, 60_000);

  it("a QuickTime movie's keyed artwork (com.apple.quicktime.artwork in moov > meta), which ExifTool shows as binary only, in a MOV and an MP4", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "keyed-"));
    for (const name of ["clip.mov", "clip.mp4"]) {
      const file = path.join(dir, name);
      await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=d=0.2:s=32x32", "-c:v", "libx264", "-pix_fmt", "yuv420p", file]);
      await appendInside(file, ["moov"], keyedMeta([["com.apple.quicktime.author", 1, Buffer.from("KeyedAuthorMark")], ["com.apple.quicktime.artwork", 13, photo]]));
      const { findings } = await extract(name, await fs.readFile(file));
      expect(findings.find((f) => f.kind === "people")?.value, JSON.stringify(findings)).toContain("KeyedAuthorMark");
      expectPhotoFindings(findings, "picture 1");
    }
  }, 60_000);

  it("Office 97-2003 pictures: the photo placed in a .doc, an .xls and a .ppt gives its GPS and artist, as picture 1", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "legacy-"));
    for (const kind of ["doc", "xls", "ppt"] as const) {
      const file = await makeMarkedLegacyOffice(dir, kind, "LegacyInnerMark", [photo]);
      const { findings } = await extract(`placed.${kind}`, await fs.readFile(file));
      expectPhotoFindings(findings, "picture 1");
    }
  }, 120_000);

  it("an MP3 of 100 covers from one camera: each thing they give away is one finding naming how many covers and which, the same in the removal, the stored result and exifapi inspect", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "many-covers-"));
    const mp3 = path.join(dir, "covers.mp3");
    await fs.writeFile(mp3, await mp3WithPictures(dir, Array<Buffer>(100).fill(photo)));
    const { findings, uuid } = await extract("covers.mp3", await fs.readFile(mp3));
    const left = Number(findings.find((f) => /were not looked into/.test(f.title))?.value);
    const looked = 100 - left;
    expect(looked).toBe(64);
    const located = findings.filter((f) => f.kind === "location");
    expect(located, JSON.stringify(findings)).toEqual([
      { kind: "location", severity: "high", title: `${looked} files inside (picture 1–${looked}): The file gives the GPS position where it was made.`, tags: expect.arrayContaining(["exif:GPSLatitude"]), value: "48.858400, 2.294500" },
    ]);
    expect(findings.filter((f) => f.kind === "people")).toHaveLength(1);
    expectPhotoFindings(findings, "picture 1");
    expectPhotoFindings(findings, `picture ${looked}`);
    // Every finding about the covers is about all of them, once: none is repeated per cover.
    const covers = Array.from({ length: looked }, (_, i) => `picture ${i + 1}`);
    const inner = findings.filter((f) => sharedBy(f).length > 0);
    expect(inner.length).toBeGreaterThanOrEqual(3);
    for (const f of inner) expect(sharedBy(f)).toEqual(covers);
    expect(findings.filter((f) => !inner.includes(f)).every((f) => !/^picture \d+: /.test(f.title)), JSON.stringify(findings)).toBe(true);
    for (const f of inner) expect(new Set(f.tags).size).toBe(f.tags.length);

    const stored = (await (await fetch(`${server.baseUrl}/api/v1/extract/${uuid}`, { headers: { "X-API-Key": server.apiKey } })).json()) as Record<string, unknown>;
    expect(stored["findings"]).toEqual(findings);
    const { status, body } = await removeViaApi(server, mp3);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["findings"]).toEqual(findings);
    const json = await server.cli(["inspect", "--json", mp3]);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { findings: Finding[] }).findings).toEqual(findings);
    const table = await server.cli(["inspect", mp3]);
    expect(table.code, table.stderr).toBe(0);
    const rows = table.stdout.trim().split("\n").slice(1);
    expect(rows, table.stdout).toHaveLength(findings.length);
    expect(rows.find((row) => /^ {2}high +location +/.test(row))).toContain(`${looked} files inside (picture 1–${looked}): The file gives the GPS position`);
  }, 180_000);

  it("an MP3 and a FLAC of 1,010 covers: the finding counts every cover not looked into, those past the 1,000 listed too", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "counted-covers-"));
    const pictures = Array<Buffer>(1010).fill(photo);
    for (const [name, data] of [["covers.mp3", await mp3WithPictures(dir, pictures)], ["covers.flac", await flacWithPictures(dir, pictures)]] as const) {
      const { findings, warnings } = await extract(name, data);
      const looked = sharedBy(findings.find((f) => f.kind === "location")!).length;
      expect(looked, name).toBeGreaterThan(1);
      const left = pictures.length - looked;
      expect(findings.find((f) => /were not looked into/.test(f.title)), name).toMatchObject({ kind: "embedded", value: String(left) });
      expect(warnings.some((w) => w.startsWith(`${left} file(s) inside this file were not looked into`)), JSON.stringify(warnings)).toBe(true);
    }
  }, 120_000);

  it("two covers with different GPS positions stay two findings, each naming its cover; the artist they share is one", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "two-covers-"));
    const elsewhere = path.join(dir, "elsewhere.jpg");
    await fs.writeFile(elsewhere, photo);
    await run(EXIFTOOL, ["-q", "-overwrite_original", "-GPSLatitude=40.7128", "-GPSLatitudeRef=N", "-GPSLongitude=74.006", "-GPSLongitudeRef=W", elsewhere]);
    const { findings } = await extract("two.mp3", await mp3WithPictures(dir, [photo, await fs.readFile(elsewhere)]));
    const located = findings.filter((f) => f.kind === "location");
    expect(located.map((f) => [f.title, f.value]), JSON.stringify(findings)).toEqual([
      ["picture 1: The file gives the GPS position where it was made.", "48.858400, 2.294500"],
      ["picture 2: The file gives the GPS position where it was made.", "40.712800, -74.006000"],
    ]);
    const people = findings.filter((f) => f.kind === "people");
    expect(people).toHaveLength(1);
    expect(sharedBy(people[0]!)).toEqual(["picture 1", "picture 2"]);
    expect(people[0]!.value).toContain(ARTIST);
    expect(sentenceOf(people[0]!)).toBe("The file names people who made, edited or appear in it.");
  });

  it("a tar's members, a .tar.gz's (a photo in a DOCX in it, by both paths) and the file of a plain gzip, by its stored name", async () => {
    const docx = await makeOffice("docx", "TarDocxMark", photo);
    const tar = await makeTar([
      { name: "photos/", type: "directory" },
      { name: "photos/rome.jpg", data: photo },
      { name: "papers/report.docx", data: docx.bytes },
    ]);
    expectPhotoFindings((await extract("bundle.tar", tar)).findings, "photos/rome.jpg");
    const gzipped = (await extract("bundle.tar.gz", gzipWithName(tar, "bundle.tar"))).findings;
    expectPhotoFindings(gzipped, "photos/rome.jpg");
    expectPhotoFindings(gzipped, "papers/report.docx > word/media/image1.jpeg");
    expectPhotoFindings((await extract("rome.jpg.gz", gzipWithName(photo, "rome.jpg"))).findings, "rome.jpg");
  });

  it("a .tar.gz of 80 MB of zeros before a photo: the member past the byte limit is counted, the walk goes on to the photo", async () => {
    const tar = await makeTar([
      { name: "zeros.bin", data: Buffer.alloc(80 * 1024 * 1024) },
      { name: "after.jpg", data: photo },
    ]);
    const started = performance.now();
    const { findings } = await extract("bomb.tar.gz", gzipWithName(tar, "bomb.tar"));
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(findings.find((f) => /were not looked into/.test(f.title))).toMatchObject({ value: "1" });
    expectPhotoFindings(findings, "after.jpg");
  });

  it("the removal response's findings are the extract response's", async () => {
    const docx = await makeOffice("docx", "RemoveInnerMark", photo);
    const file = path.join(tmp, "remove.docx");
    await fs.writeFile(file, docx.bytes);
    const { status, body } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    const { findings } = await extract("remove.docx", docx.bytes);
    expect(body["findings"]).toEqual(findings);
    expectPhotoFindings(body["findings"] as Finding[], "word/media/image1.jpeg");
  });

  it("past 64 inner files, the rest are counted in a finding, not read", async () => {
    const members = Array.from({ length: 70 }, (_, i) => ({ name: `p${String(i).padStart(2, "0")}.jpg`, data: photo }));
    const { findings } = await extract("many.zip", handZip(members));
    const located = findings.filter((f) => f.kind === "location");
    expect(located, JSON.stringify(findings)).toHaveLength(1);
    expect(sharedBy(located[0]!)).toEqual(members.slice(0, 64).map((m) => m.name));
    expect(about(findings, "p63.jpg")).not.toEqual([]);
    expect(about(findings, "p64.jpg")).toEqual([]);
    expect(findings.find((f) => /were not looked into/.test(f.title))).toMatchObject({ kind: "embedded", value: "6" });
  });

  it("files not looked into are a warnings line too; a ZIP whose files all look inside are none", async () => {
    const members = Array.from({ length: 66 }, (_, i) => ({ name: `w${i}.jpg`, data: photo }));
    const { warnings } = await extract("warned.zip", handZip(members));
    expect(warnings.filter((w) => /^2 file\(s\) inside this file were not looked into/.test(w)), JSON.stringify(warnings)).toHaveLength(1);
    const { warnings: none } = await extract("small.zip", handZip(members.slice(0, 3)));
    expect(none.filter((w) => /not looked into/.test(w))).toEqual([]);
  });

  it("64 PNGs of 9,990 text chunks each (29 s of ExifTool reads before) stop being read after 10 s: the rest counted, in a finding and a warning", async () => {
    const plain = path.join(tmp, "tiny.png");
    await run(CONVERT, ["-size", "2x2", "xc:red", plain]);
    const png = await fs.readFile(plain);
    const iend = png.length - 12;
    const text = Buffer.concat(Array<Buffer>(9_989).fill(pngChunk("tEXt", Buffer.from("k\0v", "latin1"))));
    const members = Array.from({ length: 64 }, (_, i) => ({
      name: `t${String(i).padStart(2, "0")}.png`,
      data: Buffer.concat([png.subarray(0, iend), pngChunk("tEXt", Buffer.from(`Author\0ChunkAuthor${i}`, "latin1")), text, png.subarray(iend)]),
      deflate: true,
    }));
    const started = performance.now();
    const { findings, warnings } = await extract("chunky.zip", handZip(members));
    const ms = performance.now() - started;
    // 10 s of inner reads, the one under way when they ran out (~0.4 s quiet, a few s busy), the upload and the outer read.
    expect(ms).toBeLessThan(22_000);
    const left = Number(findings.find((f) => /were not looked into/.test(f.title))?.value);
    expect(left).toBeGreaterThan(0);
    // The first files were read, the last was not; looked-into and counted ones are all 64.
    expect(about(findings, "t00.png").find((f) => f.kind === "people")?.value).toContain("ChunkAuthor0");
    expect(about(findings, "t63.png")).toEqual([]);
    expect(findings.filter((f) => f.kind === "people" && /^t\d\d\.png: /.test(f.title)).length + left).toBe(64);
    expect(warnings.some((w) => w.startsWith(`${left} file(s) inside this file were not looked into`)), JSON.stringify(warnings)).toBe(true);
  }, 60_000);

  it("members past the byte limit (80 MB of zeros, said or hidden behind a lying size) are counted as not looked into; the others still are", async () => {
    const zeros = Buffer.alloc(80 * 1024 * 1024);
    const zip = handZip([
      { name: "said.bin", data: zeros, deflate: true },
      { name: "hidden.bin", data: zeros, deflate: true, claimedSize: 1000 },
      { name: "after.jpg", data: photo },
    ]);
    const started = performance.now();
    const { findings } = await extract("bomb.zip", zip);
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(findings.find((f) => /were not looked into/.test(f.title))).toMatchObject({ value: "2" });
    expectPhotoFindings(findings, "after.jpg");
  });
});

describe("findings of the objects embedded in documents", () => {
  it("a .doc's embedded workbook, DOCX and packaged photo are each looked into, by object number: their authors, the DOCX's photo, the photo's GPS", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "doc-"));
    const xls = await makeMarkedLegacyOffice(dir, "xls", "EmbeddedXlsMark");
    const docx = await makeOffice("docx", "EmbeddedDocxMark", photo);
    const doc = await makeMarkedLegacyOffice(dir, "doc", "OuterDocMark");
    await embedObjects(doc, [
      { kind: "storage", compoundFile: await fs.readFile(xls) },
      { kind: "package", document: docx.bytes },
      { kind: "packaged", name: "rome.jpg", sourcePath: "C:\\Users\\PackagerMark\\Pictures\\rome.jpg", data: photo },
    ]);
    const { findings } = await extract("report.doc", await fs.readFile(doc));
    expect(about(findings, "object 1").find((f) => f.kind === "people")?.value, JSON.stringify(findings)).toContain("EmbeddedXlsMark");
    expect(about(findings, "object 2").find((f) => f.kind === "people")?.value).toContain("EmbeddedDocxMark");
    expectPhotoFindings(findings, "object 2 > word/media/image1.jpeg");
    expectPhotoFindings(findings, "object 3 (rome.jpg)");
    // The folder the photo was packaged from, with its owner's name, is a finding of the document.
    expect(findings.find((f) => f.kind === "hidden" && /packaged from/.test(f.title))?.value).toContain("C:\\Users\\PackagerMark\\Pictures\\rome.jpg");
  }, 120_000);

  it("a .ppt's embedded workbook (LibreOffice's export of an ODP showing a spreadsheet: a compressed ExOleObjStg record) gives its author, as object 1", async () => {
    const ppt = await makePptWithWorkbook(await fs.mkdtemp(path.join(tmp, "ppt-object-")), "PptObjectMark");
    const { findings } = await extract("slides.ppt", await fs.readFile(ppt));
    expect(about(findings, "object 1").find((f) => f.kind === "people")?.value, JSON.stringify(findings)).toContain("PptObjectMark");
  }, 60_000);

  it("a DOCX's OLE objects (word/embeddings/oleObjectN.bin: a packaged photo, an Acrobat PDF) are looked into: the photo's GPS, the PDF's author", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "docx-objects-"));
    const pdf = await fs.readFile(await makeMarkedPdf(dir, "plain", "PdfObjectMark"));
    const docx = await makeOffice("docx", "OuterDocxMark", photo);
    const objects = [
      oleObjectFile({ kind: "packaged", name: "rome.jpg", sourcePath: "C:\\Users\\PackagerMark\\rome.jpg", data: photo }),
      oleObjectFile({ kind: "pdf", pdf }),
    ];
    const { findings } = await extract("report.docx", await withOleObjects(docx.bytes, "word", objects));
    expectPhotoFindings(findings, "word/embeddings/oleObject1.bin > object 1 (rome.jpg)");
    expect(about(findings, "word/embeddings/oleObject2.bin > object 1").find((f) => f.kind === "people")?.value, JSON.stringify(findings)).toContain("PdfObjectMark");
  }, 120_000);

  it("an RTF's JPEG pictures (hex and \\bin) and its objects (a workbook, a packaged photo, a DOCX in a Word 2007 object) are looked into", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "rtf-"));
    const xls = await fs.readFile(await makeMarkedLegacyOffice(dir, "xls", "RtfXlsMark"));
    const docx = await makeOffice("docx", "RtfDocxMark", photo);
    const word12 = CFB.utils.cfb_new();
    CFB.utils.cfb_add(word12, "/Package", docx.bytes);
    const objects = [
      ["Excel.Sheet.8", ole1Object("Excel.Sheet.8", xls)],
      ["Package", ole1Object("Package", packagerData("rome.jpg", "C:\\Users\\RtfPackagerMark\\rome.jpg", photo))],
      ["Word.Document.12", ole1Object("Word.Document.12", CFB.write(word12, { type: "buffer", fileType: "cfb" }) as Buffer)],
    ] as const;
    const object = ([cls, data]: readonly [string, Buffer]): string =>
      `{\\object\\objemb\\objw100\\objh100{\\*\\objclass ${cls}}{\\*\\objdata\n${hexLines(data)}}{\\result {\\rtlch Object shown}}}\\par\n`;
    const rtf = Buffer.concat([
      Buffer.from(
        `{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Calibri;}}{\\info{\\author RtfOuterMark}}\\pard Hello {\\*\\shppict{\\pict{\\*\\picprop}\\picw8\\pich8\\picwgoal120\\pichgoal120\\jpegblip\\bliptag1{\\*\\blipuid 0123456789abcdef}\n${hexLines(photo)}}}\\par\n${objects.map(object).join("")}{\\pict\\jpegblip\\picw8\\pich8\\bin${photo.length} `,
        "latin1",
      ),
      photo,
      Buffer.from("}\\par}\n", "latin1"),
    ]);
    const { findings } = await extract("letter.rtf", rtf);
    expectPhotoFindings(findings, "picture 1");
    expectPhotoFindings(findings, "picture 2");
    expect(about(findings, "object 1").find((f) => f.kind === "people")?.value, JSON.stringify(findings)).toContain("RtfXlsMark");
    expectPhotoFindings(findings, "object 2 (rome.jpg)");
    expect(about(findings, "object 3 > object 1").find((f) => f.kind === "people")?.value).toContain("RtfDocxMark");
  }, 120_000);

  it("an RTF of 100,000 pictures is a bounded look: the first photo's findings, the rest counted as not looked into", async () => {
    const tiny = "{\\pict\\jpegblip\\picw1\\pich1 ffd8ffd9}";
    const rtf = Buffer.from(`{\\rtf1\\ansi Many {\\pict\\jpegblip\\picw8\\pich8\n${hexLines(photo)}}${tiny.repeat(99_999)}\\par}\n`, "latin1");
    const started = performance.now();
    const { findings, warnings } = await extract("many-pictures.rtf", rtf);
    expect(performance.now() - started).toBeLessThan(30_000);
    expectPhotoFindings(findings, "picture 1");
    expect(findings.find((f) => /were not looked into/.test(f.title))).toMatchObject({ kind: "embedded", value: String(100_000 - 64) });
    expect(warnings.some((w) => w.startsWith(`${100_000 - 64} file(s) inside this file were not looked into`))).toBe(true);
  }, 60_000);
});

/** Hex in lines of 128 digits, as Word writes a picture's or an object's data. */
function hexLines(data: Buffer): string {
  return data.toString("hex").replace(/(.{128})/g, "$1\n");
}

/** A 28-bit size written 7 bits a byte (ID3v2). */
function syncsafe(bytes: Buffer, at: number): number {
  return ((bytes[at]! & 0x7f) << 21) | ((bytes[at + 1]! & 0x7f) << 14) | ((bytes[at + 2]! & 0x7f) << 7) | (bytes[at + 3]! & 0x7f);
}
