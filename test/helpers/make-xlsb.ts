import crypto from "node:crypto";
import * as XLSX from "@e965/xlsx";
import { handZip } from "./make-archives.js";
import { type Part, type RelType, withRelated } from "./make-office.js";
import { readZip } from "./read-archives.js";

/*
 * Excel binary workbooks (XLSB) for the tests: SheetJS writes the workbook (cells, a note, the
 * document properties), then records SheetJS does not write are planted in its binary parts as
 * [MS-XLSB] lays them out, each holding the marker: who reserved the workbook, the folder it was
 * saved in, who last refreshed a pivot cache, and the sheet's printer settings (a part of their
 * own, which its page setup record names).
 */

/**
 * One record: its type and size as 7-bit groups, then the payload ([MS-XLSB] 2.1.4). Written apart
 * from the cleaner's own encoder (biff12.ts), so that a mistake there cannot hide in the test files.
 */
export function xlsbRecord(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = type > 0x7f ? [(type & 0x7f) | 0x80, type >> 7] : [type];
  let size = payload.length;
  do {
    head.push((size & 0x7f) | (size > 0x7f ? 0x80 : 0));
    size >>>= 7;
  } while (size > 0);
  return Buffer.concat([Buffer.from(head), payload]);
}

/** An XLWideString: a 32-bit count of UTF-16 characters, then them. */
export function wide(text: string): Buffer {
  const b = Buffer.alloc(4 + 2 * text.length);
  b.writeUInt32LE(text.length, 0);
  b.write(text, 4, "utf16le");
  return b;
}

/** The records of a binary part, in order. */
export function xlsbRecords(part: Buffer): Array<{ type: number; payload: Buffer }> {
  const out: Array<{ type: number; payload: Buffer }> = [];
  let p = 0;
  while (p < part.length) {
    let type = part[p++]!;
    if (type & 0x80) type = (type & 0x7f) | ((part[p++]! & 0x7f) << 7);
    let size = 0;
    for (let i = 0; i < 4; i++) {
      const b = part[p++]!;
      size += (b & 0x7f) << (7 * i);
      if (!(b & 0x80)) break;
    }
    out.push({ type, payload: part.subarray(p, p + size) });
    p += size;
  }
  return out;
}

const WB_PROP = 0x0099;
export const FILE_SHARING = 0x0224;
export const ABS_PATH = 0x0817;
export const COMMENT_AUTHOR = 0x0278;
const AC_BEGIN = 0x0025;
const AC_END = 0x0026;
const PIVOT_CACHE_DEF = 0x00b3;
const END_PIVOT_CACHE_DEF = 0x00b4;
export const PAGE_SETUP = 0x01de;
const LEGACY_DRAWING = 0x0227;
const PRINTER_SETTINGS_REL = "rIdPrinter";

export interface XlsbOptions {
  /** The note's author; its text starts with "author:" as Excel writes it. */
  noteAuthor: string;
  /** Extra parts (a connections part, a VBA project), each related from the workbook. */
  extraParts?: ReadonlyArray<[name: string, data: Buffer, type: RelType]>;
}

/** Cell values of the test workbook's one sheet. */
export const XLSB_CELLS = [
  ["Fruit", "Total"],
  ["Apples", 12],
  ["Pears", 7],
];

/**
 * An XLSB with `marker` in its document properties, its note's author, its workbook's
 * reservation user and saved folder, and a pivot cache definition's last refresher.
 */
export async function makeXlsb(marker: string, opts: XlsbOptions): Promise<Buffer> {
  const ws = XLSX.utils.aoa_to_sheet(XLSB_CELLS);
  ws["A2"]!.c = [{ a: opts.noteAuthor, t: `${opts.noteAuthor}:\nCheck this number` }] as XLSX.Comments;
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, ws, "Fruit");
  wb.Props = { Author: marker, Title: `${marker} title`, Company: `${marker} Ltd`, LastAuthor: marker };
  const written = XLSX.write(wb, { type: "buffer", bookType: "xlsb" }) as Buffer;
  const members = (await readZip(written)).members.map((m) => ({ name: m.name, data: m.data }));
  const workbook = members.find((m) => m.name === "xl/workbook.bin")!;
  const records = xlsbRecords(workbook.data);
  const sharing = xlsbRecord(FILE_SHARING, Buffer.concat([Buffer.from([0, 0, 0x4f, 0xcc]), wide(`${marker}Reserver`)]));
  const absPath = Buffer.concat([
    xlsbRecord(AC_BEGIN, Buffer.from([1, 0, 2, 0, 6, 0])),
    xlsbRecord(ABS_PATH, wide(`C:\\Users\\${marker}\\Documents\\`)),
    xlsbRecord(AC_END),
  ]);
  workbook.data = Buffer.concat(
    records.flatMap((r) => {
      const own = xlsbRecord(r.type, r.payload);
      return r.type === WB_PROP ? [sharing, own, absPath] : [own];
    }),
  );
  const sheet = members.find((m) => m.name === "xl/worksheets/sheet1.bin")!;
  sheet.data = Buffer.concat(
    xlsbRecords(sheet.data).flatMap((r) => {
      const own = xlsbRecord(r.type, r.payload);
      return r.type === LEGACY_DRAWING ? [xlsbRecord(PAGE_SETUP, pageSetup(PRINTER_SETTINGS_REL)), own] : [own];
    }),
  );
  const sheetRels = members.find((m) => m.name === "xl/worksheets/_rels/sheet1.bin.rels")!;
  const printerRel = `<Relationship Id="${PRINTER_SETTINGS_REL}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/printerSettings" Target="../printerSettings/printerSettings1.bin"/>`;
  sheetRels.data = Buffer.from(sheetRels.data.toString("utf8").replace("</Relationships>", `${printerRel}</Relationships>`));
  // A printer's DEVMODE starts with its name (32 UTF-16 characters) and is followed by the driver's own bytes.
  members.push({ name: "xl/printerSettings/printerSettings1.bin", data: Buffer.concat([Buffer.from(`${marker}Printer`.padEnd(32, "\0").slice(0, 32), "utf16le"), Buffer.alloc(188)]) });
  const pivotCache = Buffer.concat([xlsbRecord(PIVOT_CACHE_DEF, pivotCacheDefinition(`${marker}Refresher`)), xlsbRecord(END_PIVOT_CACHE_DEF)]);
  const added: Array<[string, Buffer, RelType]> = [["xl/pivotCache/pivotCacheDefinition1.bin", pivotCache, "pivotCacheDefinition"], ...(opts.extraParts ?? [])];
  return handZip(withRelated(members.map((m): Part => [m.name, m.data]), added).map(([name, data]) => ({ name, data: Buffer.from(data) })));
}

/** BrtPageSetup: A4, 100 %, 600 dpi, one copy from page 1, fit on one page, then the printer settings' relationship id. */
function pageSetup(relId: string): Buffer {
  const fields = Buffer.alloc(34);
  [9, 100, 600, 600, 1, 1, 1, 1].forEach((v, i) => fields.writeUInt32LE(v, 4 * i));
  return Buffer.concat([fields, wide(relId)]);
}

/** BrtBeginPivotCacheDef ([MS-XLSB] 2.4.168) naming who last refreshed it, refreshed on 2020-06-15. */
function pivotCacheDefinition(who: string): Buffer {
  const head = Buffer.alloc(21);
  head.set([3, 3, 3, 0x11], 0);
  head.writeInt32LE(-1, 4);
  head.writeDoubleLE(44_000, 8);
  head[16] = 0x01;
  head.writeUInt32LE(0, 17);
  return Buffer.concat([head, wide(who)]);
}

/**
 * An XLSB data connections part ([MS-XLSB] 2.1.7.24): one OLE DB connection to an Access file,
 * with `marker` in its connection string's user, password and folders, its data file and its
 * connection (ODC) file, and an offline cube's; a web query's address and a text import's file
 * in the user's folders.
 */
export function connectionsPart(marker: string): Buffer {
  const u32 = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v, 0);
    return b;
  };
  const extConnection = Buffer.concat([
    Buffer.from([3, 3, 1, 0, 0, 0]),
    u32((1 << 16) | (1 << 17) | (1 << 18)),
    u32(5), u32(1), u32(1), Buffer.from([0]),
    wide(`C:\\Users\\${marker}\\Data\\sales.accdb`),
    wide(`C:\\Users\\${marker}\\Documents\\My Data Sources\\sales.odc`),
    wide("Sales figures"),
    wide("Sales"),
  ]);
  const dbProps = Buffer.concat([
    u32(3), Buffer.from([0b10]),
    wide(`Provider=Microsoft.ACE.OLEDB.12.0;User ID=${marker}User;Password=${marker}Pw;Data Source=C:\\Users\\${marker}\\Data\\sales.accdb`),
    wide("Orders"),
  ]);
  const olapProps = Buffer.concat([Buffer.from([1]), u32(1000), Buffer.from([1]), wide(`Provider=MSOLAP.8;Data Source=C:\\Users\\${marker}\\Cubes\\sales.cub`)]);
  const webProps = Buffer.concat([Buffer.from([0]), u32(1 << 26), wide(`C:\\Users\\${marker}\\Web\\prices.htm`)]);
  const textImport = Buffer.concat([Buffer.alloc(12), wide(`C:\\Users\\${marker}\\Exports\\prices.csv`)]);
  return Buffer.concat([
    xlsbRecord(0x01ad),
    xlsbRecord(0x00c9, extConnection), xlsbRecord(0x00cb, dbProps), xlsbRecord(0x00cc), xlsbRecord(0x00cd, olapProps), xlsbRecord(0x00ce), xlsbRecord(0x00ca),
    xlsbRecord(0x00c9, extConnection), xlsbRecord(0x0105, webProps), xlsbRecord(0x0106), xlsbRecord(0x00ca),
    xlsbRecord(0x00c9, extConnection), xlsbRecord(0x021a, textImport), xlsbRecord(0x021b), xlsbRecord(0x00ca),
    xlsbRecord(0x01ae),
  ]);
}

/** BrtUserBookView: a custom view of the workbook ([MS-XLSB] 2.4.843). */
export const USER_BOOK_VIEW = 0x018d;

/** A custom view's record: window, a random GUID, display flags, and fPersonalView (bit 16) when `personal`. */
export function userBookView(name: string, personal: boolean): Buffer {
  const fields = Buffer.alloc(48);
  [0, 15000, 0, 9000, 0, 600].forEach((v, i) => fields.writeInt32LE(v, 4 * i));
  crypto.randomFillSync(fields, 24, 16);
  fields.writeUInt32LE(0x7e | (personal ? 0x10000 : 0), 44);
  return Buffer.concat([fields, wide(name)]);
}

/** `xlsb` with `views` (BrtUserBookView payloads) written at the end of its workbook part. */
export async function withUserViews(xlsb: Buffer, views: readonly Buffer[]): Promise<Buffer> {
  const members = (await readZip(xlsb)).members.map((m) => {
    if (m.name !== "xl/workbook.bin") return { name: m.name, data: m.data };
    const records = xlsbRecords(m.data);
    const end = records.pop()!;
    return { name: m.name, data: Buffer.concat([...records.map((r) => xlsbRecord(r.type, r.payload)), ...views.map((v) => xlsbRecord(USER_BOOK_VIEW, v)), xlsbRecord(end.type, end.payload)]) };
  });
  return handZip(members);
}
