import fs from "node:fs/promises";
import path from "node:path";
import zlib from "node:zlib";
import CFB from "cfb";
import { soffice } from "./make-legacy-office.js";
import { type Part, withRelated, zip } from "./make-office.js";
import { readZip } from "./read-archives.js";

/**
 * Embedded (OLE) objects as Office writes them ([MS-OLEDS]): in a Word 97-2003 document, each
 * object is a storage `ObjectPool/_N` (in an Excel workbook `MBDxxxxxxxx`) holding either a whole
 * compound file's streams (an Excel 97-2003 workbook), a `Package` stream (an Office 2007+
 * document, embedded whole) or an `\x01Ole10Native` stream (a file packaged by Object Packager),
 * or any streams with a CompObj stream naming their program (`streams`). In RTF, `\objdata` holds
 * the same as an OLE 1 object: a header naming the class, then the native data.
 */
export type OleObjectSpec =
  | { kind: "storage"; compoundFile: Buffer }
  | { kind: "package"; document: Buffer }
  | { kind: "packaged"; name: string; sourcePath: string; data: Buffer }
  | { kind: "streams"; userType: string; streams: Record<string, Buffer> };

/** Adds the objects to the compound file `file` (a .doc or .xls), as `ObjectPool/_1000`, `_1001`... (`MBD00001000`...). */
export async function embedObjects(file: string, objects: readonly OleObjectSpec[]): Promise<void> {
  const doc = CFB.read(await fs.readFile(file), { type: "buffer" });
  const workbook = doc.FileIndex.some((e) => e.name === "Workbook");
  for (const [i, o] of objects.entries()) {
    const storage = workbook ? `/MBD0000${1000 + i}` : `/ObjectPool/_${1000 + i}`;
    if (o.kind === "streams") {
      CFB.utils.cfb_add(doc, `${storage}/\x01CompObj`, compObj(o.userType, o.userType));
      for (const [name, content] of Object.entries(o.streams)) CFB.utils.cfb_add(doc, `${storage}/${name}`, content);
    } else if (o.kind === "storage") {
      const inner = CFB.read(o.compoundFile, { type: "buffer" });
      const root = inner.FullPaths[0] ?? "";
      for (const [j, p] of inner.FullPaths.entries()) {
        const e = inner.FileIndex[j];
        if (e?.type === 2 && e.content != null) CFB.utils.cfb_add(doc, `${storage}/${p.slice(root.length)}`, Buffer.from(e.content));
      }
    } else if (o.kind === "package") CFB.utils.cfb_add(doc, `${storage}/Package`, o.document);
    else CFB.utils.cfb_add(doc, `${storage}/\x01Ole10Native`, withSize(packagerData(o.name, o.sourcePath, o.data)));
  }
  await fs.writeFile(file, CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer);
}

/** Object Packager's native data: signature 2, label, original path, 4 bytes, temporary path, the file. */
export function packagerData(name: string, sourcePath: string, data: Buffer): Buffer {
  const temp = Buffer.from(`C:\\Users\\someone\\AppData\\Local\\Temp\\${name}\0`, "latin1");
  return Buffer.concat([Buffer.from([2, 0]), Buffer.from(`${name}\0${sourcePath}\0`, "latin1"), Buffer.from([0, 0, 3, 0]), withSize(temp), withSize(data)]);
}

/**
 * An `\x01Ole10Native` stream whose package does not read through: the packaged file's stated
 * length runs a megabyte past its data (its folders, `sourcePath`, still in it).
 */
export function overlongPackageStream(name: string, sourcePath: string, data: Buffer): Buffer {
  const native = packagerData(name, sourcePath, data);
  native.writeUInt32LE(data.length + 1_000_000, native.length - data.length - 4);
  return withSize(native);
}

/** An OLE 1 embedded object ([MS-OLEDS] 2.2.4): version, format 2 (embedded), class, empty topic and item, native data. */
export function ole1Object(className: string, native: Buffer): Buffer {
  const ansi = (s: string): Buffer => withSize(Buffer.from(s === "" ? "" : `${s}\0`, "latin1"));
  return Buffer.concat([Buffer.from([1, 5, 0, 0, 2, 0, 0, 0]), ansi(className), ansi(""), ansi(""), withSize(native)]);
}

function withSize(data: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeUInt32LE(data.length);
  return Buffer.concat([size, data]);
}

/**
 * A PowerPoint 97-2003 presentation made by LibreOffice from an ODP whose slide shows an embedded
 * spreadsheet (an ODF object whose properties name `marker` as its author): LibreOffice writes it
 * as an Excel workbook in a compressed ExOleObjStg record of the `PowerPoint Document` stream.
 */
export async function makePptWithWorkbook(dir: string, marker: string): Promise<string> {
  const work = await fs.mkdtemp(path.join(dir, "ppt-object-"));
  const office = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.3"';
  const content = `<?xml version="1.0" encoding="UTF-8"?><office:document-content ${office} xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"><office:body><office:presentation><draw:page draw:name="p1"><draw:frame svg:x="2cm" svg:y="2cm" svg:width="10cm" svg:height="5cm"><draw:object xlink:href="./Object 1" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/></draw:frame></draw:page></office:presentation></office:body></office:document-content>`;
  const sheet = `<?xml version="1.0" encoding="UTF-8"?><office:document-content ${office} xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="S"><table:table-row><table:table-cell><text:p>cell</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>`;
  const meta = `<?xml version="1.0" encoding="UTF-8"?><office:document-meta ${office} xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta><meta:initial-creator>${marker} initial</meta:initial-creator><dc:creator>${marker} creator</dc:creator></office:meta></office:document-meta>`;
  const entry = (p: string, type: string): string => `<manifest:file-entry manifest:full-path="${p}" manifest:media-type="${type}"/>`;
  const manifest = `<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">${entry("/", "application/vnd.oasis.opendocument.presentation")}${entry("content.xml", "text/xml")}${entry("Object 1/", "application/vnd.oasis.opendocument.spreadsheet")}${entry("Object 1/content.xml", "text/xml")}${entry("Object 1/meta.xml", "text/xml")}</manifest:manifest>`;
  const odp = path.join(work, "slides.odp");
  await fs.writeFile(
    odp,
    await zip([
      ["mimetype", "application/vnd.oasis.opendocument.presentation"],
      ["content.xml", content],
      ["Object 1/content.xml", sheet],
      ["Object 1/meta.xml", meta],
      ["META-INF/manifest.xml", manifest],
    ]),
  );
  await soffice(work, ["--convert-to", "ppt", "--outdir", work, odp]);
  return path.join(work, "slides.ppt");
}

/** Class ids ([MS-OLEDS]) of Object Packager's package and of Acrobat's PDF object, as the compound file's root records them. */
const PACKAGE_CLSID = "0c00030000000000c000000000000046";
const ACROBAT_CLSID = "65ca01b8fca1d01185ad444553540000";

/**
 * An embedded object saved as a file of its own, as Word, Excel and PowerPoint keep each in
 * `word/embeddings/oleObjectN.bin` (`xl/`, `ppt/`): a compound file whose root holds the OLE
 * stream, the program's CompObj stream, Word's ObjInfo stream and the object's content: a file
 * packaged by Object Packager (`\x01Ole10Native`), or an Acrobat PDF (`CONTENTS`), or the streams
 * of an Office 97-2003 document (`compoundFile`'s root streams).
 */
export type OleObjectFileSpec =
  | { kind: "packaged"; name: string; sourcePath: string; data: Buffer }
  | { kind: "pdf"; pdf: Buffer }
  | { kind: "document"; compoundFile: Buffer }
  | { kind: "other"; userType: string; streams: Record<string, Buffer> };

export function oleObjectFile(spec: OleObjectFileSpec): Buffer {
  const doc = spec.kind === "document" ? CFB.read(spec.compoundFile, { type: "buffer" }) : CFB.utils.cfb_new();
  const add = (name: string, content: Buffer): void => void CFB.utils.cfb_add(doc, `/${name}`, content);
  if (spec.kind !== "packaged") add("\x01Ole", oleStream());
  add("\x03ObjInfo", Buffer.from([0, 0, 3, 0, 4, 0]));
  if (spec.kind === "packaged") {
    doc.FileIndex[0]!.clsid = PACKAGE_CLSID;
    add("\x01CompObj", compObj("OLE Package", "Package"));
    add("\x01Ole10Native", withSize(packagerData(spec.name, spec.sourcePath, spec.data)));
  } else if (spec.kind === "pdf") {
    doc.FileIndex[0]!.clsid = ACROBAT_CLSID;
    add("\x01CompObj", compObj("Adobe Acrobat Document", "AcroExch.Document.DC"));
    add("CONTENTS", spec.pdf);
  } else if (spec.kind === "other") {
    add("\x01CompObj", compObj(spec.userType, spec.userType));
    for (const [name, content] of Object.entries(spec.streams)) add(name, content);
  }
  return CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer;
}

/** [MS-OLEDS] 2.3.3: version, flags (embedded), no link update option, no monikers. */
function oleStream(): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(0x02000001, 0);
  return b;
}

/**
 * [MS-OLEDS] 2.3.3: a linked object's OLE stream (flag 1): no reserved moniker, then its source's
 * relative and absolute monikers (file monikers, [MS-OSHARED] 2.3.7.8, naming `target`), the
 * class of the linked file, and the update times.
 */
export function linkedOleStream(target: string): Buffer {
  const head = Buffer.alloc(20);
  head.writeUInt32LE(0x02000001, 0);
  head.writeUInt32LE(1, 4);
  head.writeUInt32LE(1, 8);
  const fileMoniker = (p: string): Buffer => {
    const ansi = Buffer.from(`${p}\0`, "latin1");
    const moniker = Buffer.concat([Buffer.from("0303000000000000c000000000000046", "hex"), Buffer.from([0, 0]), withSize(ansi), Buffer.from([0xff, 0xff, 0xad, 0xde]), Buffer.alloc(24)]);
    return withSize(moniker);
  };
  return Buffer.concat([head, fileMoniker(target.replace(/^.*\\/, "")), fileMoniker(target), Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.alloc(16), Buffer.alloc(4), Buffer.alloc(4), Buffer.alloc(24)]);
}

/** [MS-OLEDS] 2.3.8: header, user type, no clipboard format, program id. */
function compObj(userType: string, progId: string): Buffer {
  const header = Buffer.alloc(28);
  header.writeUInt32LE(0xfffe0001, 0);
  header.writeUInt32LE(0x00000a03, 4);
  header.writeInt32LE(-1, 8);
  const ansi = (s: string): Buffer => withSize(Buffer.from(`${s}\0`, "latin1"));
  return Buffer.concat([header, ansi(userType), Buffer.alloc(4), ansi(progId)]);
}

/**
 * An Office 2007+ document (`office`, as makeOffice makes it) holding `objects` as
 * `<folder>/embeddings/oleObjectN.bin`, typed as Office types them.
 */
export async function withOleObjects(office: Buffer, folder: "word" | "xl" | "ppt", objects: readonly Buffer[]): Promise<Buffer> {
  const { members } = await readZip(office);
  const parts: Part[] = members.map((m) => {
    if (m.name !== "[Content_Types].xml") return [m.name, m.data];
    const types = m.data.toString("utf8").replace("</Types>", '<Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.oleObject"/></Types>');
    return [m.name, types];
  });
  return zip(withRelated(parts, objects.map((o, i) => [`${folder}/embeddings/oleObject${i + 1}.bin`, o, "oleObject"] as const)));
}

/** The streams of the compound file `bytes` named `name`, in order. */
export function compoundStreams(bytes: Buffer, name: string): Buffer[] {
  const doc = CFB.read(bytes, { type: "buffer" });
  return doc.FileIndex.filter((e) => e.type === 2 && e.name === name && e.content != null).map((e) => Buffer.from(e.content));
}

/** [MS-PPT] 2.10.34: an embedded object's storage record, instance 1 when deflated. */
const EX_OLE_OBJ_STG = 0x1011;

/**
 * `ppt` (a presentation file) with each deflated object storage of its `PowerPoint Document`
 * stream deflated again as PowerPoint writes it: the zlib stream ends with a sync flush (the bytes
 * 00 00 FF FF), without a last block or checksum.
 */
export async function withUnendedObjectStorages(ppt: string): Promise<{ objects: number }> {
  return withObjectStorages(ppt, (storage) => storage, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
}

/**
 * `ppt` with each deflated object storage replaced by an empty one as PowerPoint writes some
 * (Tika's testPPT.ppt): a compound file of a root storage alone ([MS-CFB] 2.2: a header, one FAT
 * sector, one directory sector), its modification time `modified` (a FILETIME).
 */
export async function withEmptyObjectStorages(ppt: string, modified: Buffer): Promise<{ objects: number }> {
  const empty = Buffer.alloc(1536);
  Buffer.from("d0cf11e0a1b11ae1", "hex").copy(empty);
  const header: Array<[at: number, value: number, bytes: 2 | 4]> = [[24, 0x3e, 2], [26, 3, 2], [28, 0xfffe, 2], [30, 9, 2], [32, 6, 2], [44, 1, 4], [48, 1, 4], [56, 0x1000, 4], [60, 0xfffffffe, 4], [68, 0xfffffffe, 4]];
  for (const [at, value, bytes] of header) (bytes === 2 ? empty.writeUInt16LE(value, at) : empty.writeUInt32LE(value, at));
  empty.fill(0xff, 80, 1024).writeUInt32LE(0xfffffffd, 512);
  empty.writeUInt32LE(0xfffffffe, 516);
  for (let entry = 1024; entry < 1536; entry += 128) empty.fill(0xff, entry + 68, entry + 80);
  Buffer.from("Root Entry\0", "utf16le").copy(empty, 1024);
  empty.writeUInt16LE(22, 1024 + 64);
  empty.writeUInt16LE(0x0105, 1024 + 66);
  modified.copy(empty, 1024 + 108);
  empty.writeUInt32LE(0xfffffffe, 1024 + 116);
  return withObjectStorages(ppt, () => empty, {});
}

/**
 * Each deflated object storage of `ppt`'s `PowerPoint Document` stream replaced by `storage`'s
 * answer, deflated with `options`. The records after it move (PowerPoint's persist directory is
 * not updated: only the records' walk reads them).
 */
async function withObjectStorages(ppt: string, storage: (old: Buffer) => Buffer, options: zlib.ZlibOptions): Promise<{ objects: number }> {
  const doc = CFB.read(await fs.readFile(ppt), { type: "buffer" });
  const entry = doc.FileIndex.find((e) => e.name === "PowerPoint Document")!;
  const stream = Buffer.from(entry.content);
  const records: Buffer[] = [];
  let objects = 0;
  for (let at = 0; at + 8 <= stream.length; ) {
    const length = stream.readUInt32LE(at + 4);
    const record = stream.subarray(at, at + 8 + length);
    at += 8 + length;
    if (record.readUInt16LE(2) !== EX_OLE_OBJ_STG || record.readUInt16LE(0) >> 4 !== 1) {
      records.push(record);
      continue;
    }
    const replaced = storage(zlib.inflateSync(record.subarray(12)));
    const deflated = zlib.deflateSync(replaced, options);
    const header = Buffer.from(record.subarray(0, 12));
    header.writeUInt32LE(4 + deflated.length, 4);
    header.writeUInt32LE(replaced.length, 8);
    records.push(header, deflated);
    objects++;
  }
  entry.content = Buffer.concat(records);
  entry.size = entry.content.length;
  await fs.writeFile(ppt, CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer);
  return { objects };
}

/** The storages of a presentation's deflated object records, inflated (as PowerPoint reads them: to their stated size). */
export function presentationStorages(ppt: Buffer): Buffer[] {
  const stream = compoundStreams(ppt, "PowerPoint Document")[0]!;
  const out: Buffer[] = [];
  for (let at = 0; at + 8 <= stream.length; at += 8 + stream.readUInt32LE(at + 4)) {
    if (stream.readUInt16LE(at + 2) !== EX_OLE_OBJ_STG || stream.readUInt16LE(at) >> 4 !== 1) continue;
    const data = stream.subarray(at + 12, at + 8 + stream.readUInt32LE(at + 4));
    out.push(zlib.inflateSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH }).subarray(0, stream.readUInt32LE(at + 8)));
  }
  return out;
}
