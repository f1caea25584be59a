import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mediaContent } from "./helpers/make-media.js";
import { makeOffice } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { plainTextPdf } from "./helpers/make-findings.js";
import { type RunningServer, postFile, startServer } from "./helpers/server.js";
import { CONVERT, EXIFTOOL, pixelSignature, run } from "./helpers/tools.js";

/** In every field that is not rights information: it must go. */
const MARKER = "NotRights_J5w2Qe";
const OWNER = "Jane Roe Photography";
const NOTICE = "(c) 2024 Jane Roe, all rights reserved";

const IMAGE_RIGHTS = [
  `-EXIF:Copyright=${NOTICE}`, `-EXIF:Artist=${OWNER}`,
  `-XMP-dc:Rights=${NOTICE}`, `-XMP-dc:Creator=${OWNER}`, "-XMP-xmpRights:Marked=True", "-XMP-xmpRights:UsageTerms=No AI training",
  `-XMP-plus:LicensorName=${OWNER}`,
];
const IPTC_RIGHTS = [`-IPTC:CopyrightNotice=${NOTICE}`, `-IPTC:By-line=${OWNER}`];
const IMAGE_OTHERS = [
  `-EXIF:Make=${MARKER}`, `-EXIF:ImageDescription=${MARKER}`, `-EXIF:Software=${MARKER}`, "-GPSLatitude=48.8584", "-GPSLatitudeRef=N",
  `-GPSAreaInformation=${MARKER}`, `-XMP-dc:Title=${MARKER}`, `-XMP-dc:Description=${MARKER}`,
];
const IPTC_OTHERS = [`-IPTC:Keywords=${MARKER}`, `-IPTC:City=${MARKER}`];

const EXIF_KEPT = { Copyright: NOTICE, Artist: OWNER };
const XMP_KEPT = { Rights: NOTICE, Creator: OWNER, Marked: "true", UsageTerms: "No AI training", LicensorName: OWNER };
const IPTC_KEPT = { CopyrightNotice: NOTICE, "By-line": OWNER };

interface Row {
  name: string;
  make(file: string): Promise<void>;
  tags: string[];
  /** `remaining`, exactly. */
  kept: Record<string, Record<string, string>>;
  /** Whether the picture must decode the same. */
  picture: boolean;
  /** Whether the sound and video must decode the same. */
  media?: boolean;
}

/** A second of sound (or picture) made by ffmpeg with a copyright notice and other tags. */
function ffmpegMade(input: string[], codec: string[]): (file: string) => Promise<void> {
  return (f) =>
    run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", ...input, ...codec, "-metadata", `copyright=${NOTICE}`, "-metadata", `title=${MARKER}`, "-metadata", `comment=${MARKER}`, f]).then(() => undefined);
}
const SINE = ["-i", "sine=frequency=440:duration=1"];

/**
 * The suite's marked DOCX (marker in every property, comment and change author), its core creator
 * and rights set to the owner's. Its picture carries a camera make (the marker), not an artist: an
 * inner file keeps its own rights fields too.
 */
async function docxWithRights(file: string): Promise<void> {
  const parts = path.join(path.dirname(file), "docx-parts");
  await fs.mkdir(parts, { recursive: true });
  const picture = path.join(path.dirname(file), "inner.jpg");
  await run(CONVERT, ["-size", "16x16", "xc:#3366cc", picture]);
  await run(EXIFTOOL, ["-q", "-overwrite_original", `-EXIF:Make=${MARKER}`, picture]);
  await fs.writeFile(file, (await makeOffice("docx", MARKER, await fs.readFile(picture))).bytes);
  await run("unzip", ["-q", "-o", file, "-d", parts]);
  const core = path.join(parts, "docProps", "core.xml");
  const xml = await fs.readFile(core, "utf8");
  await fs.writeFile(core, xml.replace(/<dc:creator>[^<]*<\/dc:creator>/, `<dc:creator>${OWNER}</dc:creator><dc:rights>${NOTICE}</dc:rights>`));
  await fs.rm(file);
  await promisify(execFile)("zip", ["-q", "-X", "-r", file, "[Content_Types].xml", "."], { cwd: parts });
}

/**
 * The suite's marked ODT, its meta.xml creator set to the owner's (ODF metadata has no rights
 * field); its picture carries a camera make (the marker), as the DOCX's.
 */
async function odtWithCreator(file: string): Promise<void> {
  const parts = path.join(path.dirname(file), "odt-parts");
  await fs.mkdir(parts, { recursive: true });
  const picture = path.join(path.dirname(file), "odt-inner.jpg");
  await run(CONVERT, ["-size", "16x16", "xc:#cc6633", picture]);
  await run(EXIFTOOL, ["-q", "-overwrite_original", `-EXIF:Make=${MARKER}`, picture]);
  await fs.writeFile(file, (await makeOffice("odt", MARKER, await fs.readFile(picture))).bytes);
  await run("unzip", ["-q", "-o", file, "-d", parts]);
  const meta = path.join(parts, "meta.xml");
  const xml = await fs.readFile(meta, "utf8");
  await fs.writeFile(meta, xml.replace(/<dc:creator>[^<]*<\/dc:creator>/, `<dc:creator>${OWNER}</dc:creator>`));
  await fs.rm(file);
  const zipIn = (args: string[]) => promisify(execFile)("zip", ["-q", "-X", ...args], { cwd: parts });
  await zipIn(["-0", file, "mimetype"]);
  await zipIn(["-r", file, ".", "-x", "mimetype"]);
}

const rows: Row[] = [
  {
    name: "photo.jpg",
    make: (f) => run(CONVERT, ["-seed", "5", "-size", "64x48", "plasma:fractal", f]).then(() => undefined),
    tags: [...IMAGE_RIGHTS, ...IPTC_RIGHTS, ...IMAGE_OTHERS, ...IPTC_OTHERS],
    kept: { exif: EXIF_KEPT, iptc: IPTC_KEPT, xmp: XMP_KEPT },
    picture: true,
  },
  {
    name: "picture.png",
    make: (f) => run(CONVERT, ["-seed", "5", "-size", "64x48", "plasma:fractal", f]).then(() => undefined),
    tags: [...IMAGE_RIGHTS, ...IMAGE_OTHERS],
    kept: { exif: EXIF_KEPT, xmp: XMP_KEPT },
    picture: true,
  },
  {
    name: "scan.tif",
    make: (f) => run(CONVERT, ["-seed", "5", "-size", "64x48", "plasma:fractal", f]).then(() => undefined),
    tags: [...IMAGE_RIGHTS, ...IPTC_RIGHTS, ...IMAGE_OTHERS, ...IPTC_OTHERS],
    kept: { exif: EXIF_KEPT, iptc: IPTC_KEPT, xmp: XMP_KEPT },
    picture: true,
  },
  {
    name: "web.webp",
    make: (f) => run(CONVERT, ["-seed", "5", "-size", "64x48", "plasma:fractal", "-define", "webp:lossless=true", f]).then(() => undefined),
    tags: [...IMAGE_RIGHTS, ...IMAGE_OTHERS],
    kept: { exif: EXIF_KEPT, xmp: XMP_KEPT },
    picture: true,
  },
  {
    name: "report.pdf",
    make: (f) => fs.writeFile(f, plainTextPdf()),
    tags: [`-PDF:Author=${OWNER}`, `-XMP-dc:Rights=${NOTICE}`, `-XMP-dc:Creator=${OWNER}`, `-PDF:Title=${MARKER}`, `-PDF:Subject=${MARKER}`, `-PDF:Producer=${MARKER}`, `-XMP-dc:Description=${MARKER}`],
    kept: { pdf: { Author: OWNER }, xmp: { Rights: NOTICE, Creator: OWNER } },
    picture: false,
  },
  {
    name: "clip.mp4",
    make: (f) => run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "1", "-pix_fmt", "yuv420p", f]).then(() => undefined),
    tags: [`-QuickTime:Copyright=${NOTICE}`, `-QuickTime:Title=${MARKER}`, `-QuickTime:Comment=${MARKER}`, `-QuickTime:Artist=${MARKER}`],
    kept: { quicktime: { Copyright: NOTICE } },
    picture: false,
    media: true,
  },
  { name: "review.docx", make: docxWithRights, tags: [], kept: { xmp: { Creator: OWNER, Rights: NOTICE } }, picture: false },
  { name: "notes.odt", make: odtWithCreator, tags: [], kept: { xmp: { Creator: OWNER } }, picture: false },
  // Formats ExifTool cannot write: the notice is written back by hand or by a stream-copying remux.
  { name: "song.mp3", make: ffmpegMade(SINE, ["-c:a", "libmp3lame"]), tags: [], kept: { id3: { Copyright: NOTICE } }, picture: false, media: true },
  { name: "song.flac", make: ffmpegMade(SINE, []), tags: [], kept: { vorbis: { Copyright: NOTICE } }, picture: false, media: true },
  { name: "song.wav", make: ffmpegMade(SINE, []), tags: [], kept: { riff: { Copyright: NOTICE } }, picture: false, media: true },
  { name: "song.ogg", make: ffmpegMade(SINE, ["-c:a", "libvorbis"]), tags: [], kept: { vorbis: { Copyright: NOTICE } }, picture: false, media: true },
  // Audio-only Matroska and WebM (ExifTool's MKA for both): the WebM stays a WebM.
  { name: "song.mka", make: ffmpegMade(SINE, ["-c:a", "flac"]), tags: [], kept: { matroska: { Copyright: NOTICE } }, picture: false, media: true },
  { name: "song.webm", make: ffmpegMade(SINE, ["-c:a", "libopus"]), tags: [], kept: { matroska: { Copyright: NOTICE } }, picture: false, media: true },
  {
    name: "clip.mkv",
    make: ffmpegMade(["-i", "testsrc=size=64x48:rate=10:duration=1"], ["-c:v", "libx264", "-pix_fmt", "yuv420p"]),
    tags: [],
    kept: { matroska: { Copyright: NOTICE } },
    picture: false,
    media: true,
  },
];

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-keep-rights-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("keep=copyright", () => {
  for (const row of rows) {
    it(`keeps exactly the rights fields of ${row.name}, and nothing else`, async () => {
      const file = path.join(dir, row.name);
      await row.make(file);
      if (row.tags.length > 0) await run(EXIFTOOL, ["-q", "-overwrite_original", ...row.tags, file]);
      expect(await findMarker(file, MARKER)).not.toEqual([]);
      const res = await postFile(`${server.baseUrl}/api/v1/remove`, { name: row.name, data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey }, fields: { keep: "copyright" } });
      const body = (await res.json()) as Record<string, any>;
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body["remaining"]).toEqual(row.kept);
      const cleaned = path.join(dir, `cleaned-${row.name}`);
      await fs.writeFile(cleaned, Buffer.from(await (await fetch(body["downloadUrl"] as string)).arrayBuffer()));
      expect(await findMarker(cleaned, MARKER)).toEqual([]);
      // An independent read of the clean copy finds the rights fields where they were.
      const read = JSON.parse((await run(EXIFTOOL, ["-json", "-G0", cleaned])).stdout.toString("utf8"))[0] as Record<string, unknown>;
      for (const [group, tags] of Object.entries(row.kept)) {
        const name = ({ quicktime: "QuickTime", vorbis: "Vorbis", matroska: "Matroska" } as Record<string, string>)[group] ?? group.toUpperCase();
        for (const [tag, value] of Object.entries(tags)) expect(String(read[`${name}:${tag}`]).toLowerCase()).toBe(value.toLowerCase());
      }
      if (row.name.endsWith(".webm")) expect(read["Matroska:DocType"]).toBe("webm");
      if (row.picture) expect(await pixelSignature(cleaned)).toBe(await pixelSignature(file));
      if (row.media === true) expect(await mediaContent(cleaned)).toEqual(await mediaContent(file));
    });
  }

  it("keeps nothing of them without the option", async () => {
    const file = path.join(dir, "default.jpg");
    await rows[0]!.make(file);
    await run(EXIFTOOL, ["-q", "-overwrite_original", ...IMAGE_RIGHTS, ...IPTC_RIGHTS, file]);
    const res = await postFile(`${server.baseUrl}/api/v1/remove`, { name: "default.jpg", data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey } });
    const body = (await res.json()) as Record<string, any>;
    expect(body["remaining"]).toEqual({});
    const cleaned = Buffer.from(await (await fetch(body["downloadUrl"] as string)).arrayBuffer());
    expect(await findMarker(cleaned, OWNER)).toEqual([]);
  });
});
