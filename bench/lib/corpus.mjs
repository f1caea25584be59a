// @ts-check
import fs from "node:fs/promises";
import path from "node:path";
import yazl from "yazl";
import { CONVERT, EXIFTOOL, ROOT, run } from "./tools.mjs";
import { DOC_TAGS, PHOTO_TAGS } from "./corpus-tags.mjs";
import { textPdf } from "./pdf-builder.mjs";

export const CORPUS_DIR = path.join(ROOT, "bench", "corpus");

/**
 * @typedef {object} CorpusFile
 * @property {string} id     short name used in the tables
 * @property {string} path
 * @property {string} name   the client file name sent in uploads
 * @property {string} mime
 * @property {number} size   bytes
 */

/** @typedef {{ id: string, name: string, mime: string, make: (file: string) => Promise<void> }} Recipe */

/** @param {string[]} args */
const exiftool = (args) => run(EXIFTOOL, ["-q", "-q", "-m", "-overwrite_original", ...args]);

/**
 * A photo of W x H pixels with texture (plasma plus grain, so it compresses like a photo does),
 * the photo tags and an embedded thumbnail.
 * @param {number} w @param {number} h
 * @returns {(file: string) => Promise<void>}
 */
const photo = (w, h) => async (file) => {
  await run(CONVERT, ["-seed", "7", "-size", `${w}x${h}`, "plasma:fractal", "-attenuate", "0.4", "+noise", "Gaussian", "-quality", "92", file]);
  await exiftool([...PHOTO_TAGS, file]);
  const thumb = `${file}.thumb.jpg`;
  await run(CONVERT, [file, "-thumbnail", "160x120", "-strip", thumb]);
  await exiftool([`-ThumbnailImage<=${thumb}`, file]);
  await fs.rm(thumb);
};

/** @type {Recipe[]} */
const RECIPES = [
  { id: "jpg-1mp", name: "photo-1mp.jpg", mime: "image/jpeg", make: photo(1152, 864) },
  { id: "jpg-12mp", name: "photo-12mp.jpg", mime: "image/jpeg", make: photo(4000, 3000) },
  { id: "jpg-48mp", name: "photo-48mp.jpg", mime: "image/jpeg", make: photo(8000, 6000) },
  {
    id: "png",
    name: "screenshot.png",
    mime: "image/png",
    async make(file) {
      await run(CONVERT, ["-seed", "3", "-size", "2000x1500", "plasma:fractal", "-attenuate", "0.3", "+noise", "Gaussian", file]);
      await exiftool([...PHOTO_TAGS.filter((t) => !t.startsWith("-IPTC")), "-PNG:Author=Jane Roe", "-PNG:Comment=bench file", "-PNG:Software=PaintThing", file]);
    },
  },
  {
    id: "heic",
    name: "phone.heic",
    mime: "image/heic",
    async make(file) {
      const base = `${file}.base.png`;
      await run(CONVERT, ["-seed", "5", "-size", "2000x1500", "plasma:fractal", "-attenuate", "0.3", "+noise", "Gaussian", base]);
      await run("heif-enc", ["-q", "80", "-o", file, base]);
      await fs.rm(base);
      await exiftool([...PHOTO_TAGS.filter((t) => !t.startsWith("-IPTC")), file]);
    },
  },
  {
    id: "pdf",
    name: "report.pdf",
    mime: "application/pdf",
    async make(file) {
      const img = `${file}.img.jpg`;
      await photo(800, 600)(img);
      await fs.writeFile(file, textPdf(24, await fs.readFile(img), 800, 600));
      await fs.rm(img);
      await exiftool([...DOC_TAGS, "-XMP-dc:Creator=Jane Roe", "-XMP-pdf:Producer=PDFMaker 4", file]);
    },
  },
  {
    id: "mp3",
    name: "song.mp3",
    mime: "audio/mpeg",
    async make(file) {
      const cover = `${file}.cover.jpg`;
      await run(CONVERT, ["-size", "500x500", "plasma:fractal", "-quality", "85", cover]);
      await run("ffmpeg", [
        "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=60", "-i", cover,
        "-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame", "-b:a", "128k", "-c:v", "copy", "-disposition:v", "attached_pic",
        ...audioTags(), "-id3v2_version", "3", "-write_id3v1", "1", "-y", file,
      ]);
      await fs.rm(cover);
    },
  },
  {
    id: "flac",
    name: "track.flac",
    mime: "audio/flac",
    async make(file) {
      const cover = `${file}.cover.jpg`;
      await run(CONVERT, ["-size", "500x500", "plasma:fractal", "-quality", "85", cover]);
      await run("ffmpeg", [
        "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "anoisesrc=d=20:c=pink:a=0.3", "-i", cover,
        "-map", "0:a", "-map", "1:v", "-ac", "2", "-c:a", "flac", "-c:v", "copy", "-disposition:v", "attached_pic",
        ...audioTags(), "-y", file,
      ]);
      await fs.rm(cover);
    },
  },
  { id: "mp4-10mb", name: "clip-10mb.mp4", mime: "video/mp4", make: (file) => video(file, 10) },
  { id: "mp4-100mb", name: "clip-100mb.mp4", mime: "video/mp4", make: (file) => video(file, 100) },
  { id: "docx", name: "letter.docx", mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", make: docx },
];

export const CORPUS_IDS = RECIPES.map((r) => r.id);

function audioTags() {
  return ["-metadata", "title=Bench Song", "-metadata", "artist=The Testers", "-metadata", "album=Fixtures",
    "-metadata", "date=2024", "-metadata", "comment=recorded at home", "-metadata", "encoded_by=Jane Roe"];
}

/**
 * An MP4 of about `mb` megabytes: 10 MB of high-bitrate MPEG-4 video made once, then looped
 * without re-encoding, with the tags a phone writes (title, artist, location).
 * @param {string} file @param {number} mb
 */
async function video(file, mb) {
  const seed = path.join(CORPUS_DIR, ".seed-10mb.mp4");
  await fs.access(seed).catch(() =>
    run("ffmpeg", ["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25:duration=8",
      "-c:v", "mpeg4", "-b:v", "10M", "-maxrate", "10M", "-bufsize", "2M", "-y", seed]),
  );
  const seedBytes = (await fs.stat(seed)).size;
  const loops = Math.max(0, Math.round((mb * 1024 * 1024) / seedBytes) - 1);
  await run("ffmpeg", ["-nostdin", "-loglevel", "error", "-stream_loop", String(loops), "-i", seed, "-c", "copy",
    "-metadata", "title=Holiday clip", "-metadata", "artist=Jane Roe", "-metadata", "comment=bench",
    "-metadata", "location=+48.8584+002.2945/", "-metadata", "creation_time=2024-03-15T06:30:00Z", "-y", file]);
}

/** A DOCX with properties, a few pages of text and an embedded photo that carries EXIF. @param {string} file */
async function docx(file) {
  const img = `${file}.img.jpg`;
  await photo(640, 480)(img);
  const zip = new yazl.ZipFile();
  const body = Array.from({ length: 200 }, (_, i) => `<w:p><w:r><w:t>Paragraph ${i}: the figures for the quarter are in the annex.</w:t></w:r></w:p>`).join("");
  /** @type {Record<string, string>} */
  const parts = {
    "[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="jpeg" ContentType="image/jpeg"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>`,
    "_rels/.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/></Relationships>`,
    "word/_rels/document.xml.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId5" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image1.jpeg"/></Relationships>`,
    "word/document.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}</w:body></w:document>`,
    "docProps/core.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>Quarterly report</dc:title><dc:creator>Jane Roe</dc:creator><cp:lastModifiedBy>John Doe</cp:lastModifiedBy><cp:revision>7</cp:revision><dcterms:created xsi:type="dcterms:W3CDTF">2024-03-15T10:30:00Z</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">2024-03-16T09:00:00Z</dcterms:modified></cp:coreProperties>`,
    "docProps/app.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>WordThing</Application><Company>Roe Ltd</Company><TotalTime>42</TotalTime><Pages>4</Pages></Properties>`,
  };
  for (const [name, xml] of Object.entries(parts)) zip.addBuffer(Buffer.from(xml, "utf8"), name);
  zip.addBuffer(await fs.readFile(img), "word/media/image1.jpeg");
  zip.end();
  /** @type {Buffer[]} */
  const chunks = [];
  for await (const chunk of zip.outputStream) chunks.push(/** @type {Buffer} */ (chunk));
  await fs.writeFile(file, Buffer.concat(chunks));
  await fs.rm(img);
}

/**
 * The corpus files asked for, made on first use and kept (bench/corpus is not in git). A file
 * is written under a temporary name and renamed, so an interrupted run never leaves half a file.
 * @param {readonly string[]} ids
 * @param {(msg: string) => void} log
 * @returns {Promise<Map<string, CorpusFile>>}
 */
export async function ensureCorpus(ids, log) {
  await fs.mkdir(CORPUS_DIR, { recursive: true });
  /** @type {Map<string, CorpusFile>} */
  const out = new Map();
  for (const id of ids) {
    const recipe = RECIPES.find((r) => r.id === id);
    if (recipe == null) throw new Error(`unknown corpus file ${id}`);
    const file = path.join(CORPUS_DIR, recipe.name);
    const exists = await fs.stat(file).then(() => true, () => false);
    if (!exists) {
      log(`generating ${recipe.name}`);
      const t0 = Date.now();
      const partial = path.join(CORPUS_DIR, `.partial-${recipe.name}`);
      await fs.rm(partial, { force: true });
      await recipe.make(partial);
      await fs.rename(partial, file);
      log(`  ${recipe.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    out.set(id, { id, path: file, name: recipe.name, mime: recipe.mime, size: (await fs.stat(file)).size });
  }
  return out;
}
