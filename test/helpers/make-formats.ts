import fs from "node:fs/promises";
import path from "node:path";
import { iccProfile } from "./make-images.js";
import { CONVERT, exiftool, run } from "./tools.js";

/**
 * Dirty PSD, JPEG 2000 and JPEG XL files for the removal tests, made by ImageMagick, openjpeg
 * and libjxl, with `marker` planted by the bundled ExifTool in every field it writes into each
 * format, plus an `xml ` box appended by hand to the box-based ones.
 */

const W = 64;
const H = 48;

async function png(dir: string): Promise<string> {
  const file = path.join(dir, "src.png");
  await run(CONVERT, ["-seed", "7", "-size", `${W}x${H}`, "plasma:fractal", "-depth", "8", file]);
  return file;
}

function tags(marker: string): string[] {
  return [
    `-EXIF:Artist=${marker}`, `-EXIF:Copyright=${marker}`, `-EXIF:ImageDescription=${marker}`, `-EXIF:UserComment=${marker}`,
    `-EXIF:XPComment=${marker}`, `-EXIF:Software=${marker}`, `-EXIF:Make=${marker}`, `-EXIF:Model=${marker}`,
    "-GPSLatitude=48.8584", "-GPSLatitudeRef=N", `-GPSAreaInformation=${marker}`,
    `-XMP-dc:Creator=${marker}`, `-XMP-dc:Description=${marker}`, `-XMP-iptcExt:PersonInImage=${marker}`,
    `-IPTC:By-line=${marker}`, `-IPTC:Caption-Abstract=${marker}`, `-Photoshop:URL=${marker}`,
  ];
}

async function plant(file: string, marker: string): Promise<void> {
  await exiftool(["-q", "-q", "-m", "-overwrite_original", ...tags(marker), file]);
}

/** An ISO base-media box (size, type, payload). */
export function box(type: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + payload.length, 0);
  head.write(type, 4, "latin1");
  return Buffer.concat([head, payload]);
}

/** The boxes of `buf` from `at` to `end` (32-bit lengths only): type and whole bytes. */
export function boxes(buf: Buffer, at = 0, end = buf.length): { type: string; bytes: Buffer }[] {
  const out: { type: string; bytes: Buffer }[] = [];
  while (at < end) {
    const size = buf.readUInt32BE(at);
    out.push({ type: buf.toString("latin1", at + 4, at + 8), bytes: buf.subarray(at, at + size) });
    at += size;
  }
  return out;
}

/** A layered Photoshop document: the picture and a second layer, with EXIF, XMP, IPTC and a URL resource. */
export async function makePsd(dir: string, marker: string): Promise<string> {
  const src = await png(dir);
  const file = path.join(dir, "in.psd");
  await run(CONVERT, [src, "(", "-size", `${W / 2}x${H / 2}`, "gradient:red-blue", ")", "(", "-clone", "0", "-clone", "1", "-flatten", ")", "-insert", "0", file]);
  await plant(file, marker);
  return file;
}

/** A Photoshop image resource block: signature, id, Pascal name padded to even, size, data padded to even. */
export function psdResource(id: number, data: Buffer, name = ""): Buffer {
  const pascal = Buffer.concat([Buffer.from([name.length]), Buffer.from(name, "latin1")]);
  const head = Buffer.alloc(6);
  head.write("8BIM", 0, "latin1");
  head.writeUInt16BE(id, 4);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(data.length);
  return Buffer.concat([head, pascal, Buffer.alloc(pascal.length % 2), size, data, Buffer.alloc(data.length % 2)]);
}

/** A path resource's bytes (0x07D0, kept by the cleaning): 26-byte records, here a closed subpath of one knot. */
export const PSD_PATH = Buffer.concat([Buffer.from([0, 6]), Buffer.alloc(24), Buffer.from([0, 0, 0, 1]), Buffer.alloc(22), Buffer.from([0, 2]), Buffer.alloc(24, 0x11)]);

/**
 * `makePsd`'s document with the resources Photoshop writes that ExifTool neither removes nor
 * rewrites, each holding the marker: the Mac print record and its XML (0x03E9, 0x03EA), slices
 * whose group is named after the document (0x041A), the version block's writer and reader names
 * (0x0421, UTF-16), an ImageReady variables block (0x1B58, one no list knows), a kept block with a
 * name; plus a path (0x07D0, content) and bytes after the composite picture, as Photo Mechanic
 * appends them.
 */
export async function makePhotoshopPsd(dir: string, marker: string): Promise<string> {
  const file = await makePsd(dir, marker);
  const psd = await fs.readFile(file);
  const resourcesAt = 26 + 4 + psd.readUInt32BE(26);
  const sectionLength = psd.readUInt32BE(resourcesAt);
  const utf16 = (text: string): Buffer => {
    const units = Buffer.from(text, "utf16le").swap16();
    const count = Buffer.alloc(4);
    count.writeUInt32BE(text.length);
    return Buffer.concat([count, units]);
  };
  const version = Buffer.concat([Buffer.from([0, 0, 0, 1, 1]), utf16(`Adobe Photoshop for ${marker}`), utf16(`Adobe Photoshop ${marker}`), Buffer.from([0, 0, 0, 1])]);
  const slices = Buffer.concat([Buffer.alloc(20), utf16(`${marker} slices`), Buffer.from([0, 0, 0, 1])]);
  const added = Buffer.concat([
    psdResource(0x03e9, Buffer.from(`printer ${marker}`.padEnd(120, " "), "latin1")),
    psdResource(0x03ea, Buffer.from(`<?xml version="1.0"?><plist><string>${marker}</string></plist>`)),
    psdResource(0x041a, slices),
    psdResource(0x0421, version),
    psdResource(0x1b58, Buffer.from(`<variables owner="${marker}"/>`)),
    psdResource(0x0419, Buffer.from([0, 0, 0, 30]), marker.slice(0, 12)),
    psdResource(0x07d0, PSD_PATH),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(sectionLength + added.length);
  const out = Buffer.concat([
    psd.subarray(0, resourcesAt),
    length,
    psd.subarray(resourcesAt + 4, resourcesAt + 4 + sectionLength),
    added,
    psd.subarray(resourcesAt + 4 + sectionLength),
    Buffer.from(`trailer by ${marker}`),
  ]);
  const photoshop = path.join(dir, "photoshop.psd");
  await fs.writeFile(photoshop, out);
  return photoshop;
}

/**
 * A layered large-document (PSB) Photoshop file, as ImageMagick writes it: the PSD's layers and
 * resources with PSB's 64-bit lengths.
 */
export async function makePsb(dir: string, marker: string): Promise<string> {
  const src = await png(dir);
  const file = path.join(dir, "in.psb");
  await run(CONVERT, [src, "(", "-size", `${W / 2}x${H / 2}`, "gradient:red-blue", ")", "(", "-clone", "0", "-clone", "1", "-flatten", ")", "-insert", "0", file]);
  await plant(file, marker);
  return file;
}

/** JP2 by opj_compress (lossless), with EXIF, XMP and IPTC in uuid boxes and an xml box. */
export async function makeJp2(dir: string, marker: string): Promise<string> {
  const src = await png(dir);
  const file = path.join(dir, "in.jp2");
  await run("/usr/bin/opj_compress", ["-i", src, "-o", file]);
  await plant(file, marker);
  await fs.appendFile(file, box("xml ", Buffer.from(`<note>${marker}</note>`)));
  return file;
}

/**
 * JPX (JPEG 2000 part 2), which no free encoder writes: the JP2 of opj_compress given JPX's
 * file type (brand `jpx `) and the reader requirements box part 2 puts after it, the marker
 * planted by ExifTool, then what part 2 adds for metadata: a label box, an association box
 * tying a label and XML together, and a vendor UUID box.
 */
export async function makeJpx(dir: string, marker: string): Promise<string> {
  const src = await png(dir);
  const jp2 = path.join(dir, "base.jp2");
  await run("/usr/bin/opj_compress", ["-i", src, "-o", jp2]);
  const bytes = await fs.readFile(jp2);
  const signature = bytes.subarray(0, 12);
  if (bytes.toString("latin1", 16, 20) !== "ftyp") throw new Error("opj_compress wrote no file type box after the signature");
  const afterFtyp = 12 + bytes.readUInt32BE(12);
  const ftyp = box("ftyp", Buffer.from("jpx \0\0\0\0jp2 jpx jpxb", "latin1"));
  // Mask length 1, every feature fully and for display; one standard feature (5), no vendor feature.
  const rreq = box("rreq", Buffer.from([1, 0x80, 0x80, 0, 1, 0, 5, 0x80, 0, 0]));
  const file = path.join(dir, "in.jpx");
  await fs.writeFile(file, Buffer.concat([signature, ftyp, rreq, bytes.subarray(afterFtyp)]));
  await plant(file, marker);
  const asoc = box("asoc", Buffer.concat([box("lbl ", Buffer.from(`label ${marker}`)), box("xml ", Buffer.from(`<note>${marker}</note>`))]));
  const uuid = box("uuid", Buffer.concat([Buffer.alloc(16, 0x5a), Buffer.from(`vendor ${marker}`)]));
  await fs.appendFile(file, Buffer.concat([box("lbl ", Buffer.from(marker)), asoc, uuid]));
  return file;
}

/** JPEG XL by cjxl (lossless) in its container, with Exif and xml (XMP) boxes and an extra xml box. */
export async function makeJxl(dir: string, marker: string): Promise<string> {
  const src = await png(dir);
  const file = path.join(dir, "in.jxl");
  await run("/usr/bin/cjxl", ["-d", "0", "--container=1", src, file]);
  await plant(file, marker);
  await fs.appendFile(file, box("xml ", Buffer.from(`<note>${marker}</note>`)));
  return file;
}

/** A bare JPEG XL codestream (no container, so no place for metadata). */
export async function makeJxlCodestream(dir: string): Promise<string> {
  const src = await png(dir);
  const file = path.join(dir, "bare.jxl");
  await run("/usr/bin/cjxl", ["-d", "0", "--container=0", src, file]);
  return file;
}

/** An XMP sidecar, as Lightroom or darktable write next to a photo. */
export async function makeXmpSidecar(dir: string, marker: string): Promise<string> {
  const file = path.join(dir, "photo.xmp");
  await exiftool(["-q", "-o", file, `-XMP-dc:Creator=${marker}`, `-XMP-dc:Description=${marker}`]);
  return file;
}

/**
 * A BMP with a V5 header (ImageMagick's default) whose colour profile is the marker's: an ICC
 * profile embedded after the pixels, or a linked profile's path naming the user, plus bytes
 * appended after it.
 */
export async function makeBmp(dir: string, marker: string, linked: boolean): Promise<string> {
  const file = path.join(dir, "in.bmp");
  await run(CONVERT, [await png(dir), `BMP:${file}`]);
  const bmp = await fs.readFile(file);
  if (bmp.readUInt32LE(14) < 124) throw new Error("ImageMagick did not write a V5 BMP header");
  const profile = linked ? Buffer.from(`C:\\Users\\${marker}\\profile.icc\0`, "latin1") : iccProfile(marker);
  bmp.write(linked ? "KNIL" : "DEBM", 14 + 56, "latin1");
  bmp.writeUInt32LE(bmp.length - 14, 14 + 112);
  bmp.writeUInt32LE(profile.length, 14 + 116);
  const out = Buffer.concat([bmp, profile, Buffer.from(`appended ${marker}`)]);
  out.writeUInt32LE(out.length, 2);
  await fs.writeFile(file, out);
  return file;
}
