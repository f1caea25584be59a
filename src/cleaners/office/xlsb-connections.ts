import { bareName, scrubConnectionString } from "../connection-strings.js";
import { BadFileError } from "../errors.js";
import { type RecordEdit, wideString } from "./biff12.js";

// The records of an XLSB's data connections part ([MS-XLSB] 2.1.7.24) that hold a connection
// string or a file's path, read field by field as the specification lays them out (and as
// ONLYOFFICE's reader reads them). Each must be read to its last byte: a record laid out otherwise
// is damaged, never rewritten at a guessed offset.
export const EXT_CONNECTION = 0x00c9;
export const EC_DB_PROPS = 0x00cb;
export const EC_OLAP_PROPS = 0x00cd;
export const EC_WEB_PROPS = 0x0105;
export const EC_TXT_WIZ = 0x021a;
/**
 * Excel 2013's data model connections (BrtBeginExtConn15, BrtBeginOledbPr15,
 * BrtBeginDataFeedPr15), whose connection strings are indexes into strings kept elsewhere.
 */
export const DATA_MODEL_CONNECTIONS: ReadonlySet<number> = new Set([0x083d, 0x083f, 0x0841]);

export const CONNECTION_RECORDS: ReadonlySet<number> = new Set([EXT_CONNECTION, EC_DB_PROPS, EC_OLAP_PROPS, EC_WEB_PROPS, EC_TXT_WIZ, ...DATA_MODEL_CONNECTIONS]);

const DAMAGED = "The workbook's binary records are damaged.";
export const WITH_DATA_MODEL =
  "The workbook holds data model connections in Excel's binary format (XLSB), whose account names and file paths cannot be removed yet; saved as .xlsx, it can be cleaned.";

/** A record read from its first byte on; strings replaced on the way become the record's new payload. */
class Fields {
  private at = 0;
  private readonly out: Buffer[] = [];
  private copied = 0;

  constructor(
    private readonly payload: Buffer,
    private readonly name: string,
  ) {}

  skip(n: number): void {
    if (this.at + n > this.payload.length) throw this.damaged();
    this.at += n;
  }

  u8(): number {
    this.skip(1);
    return this.payload[this.at - 1]!;
  }

  u16(): number {
    this.skip(2);
    return this.payload.readUInt16LE(this.at - 2);
  }

  u32(): number {
    this.skip(4);
    return this.payload.readUInt32LE(this.at - 4);
  }

  /** An XLWideString, replaced by `scrub` of its text. */
  string(scrub: (text: string) => string = (t) => t): void {
    const start = this.at;
    const cch = this.u32();
    this.skip(2 * cch);
    const text = this.payload.toString("utf16le", start + 4, this.at);
    const scrubbed = scrub(text);
    if (scrubbed === text) return;
    this.out.push(this.payload.subarray(this.copied, start), wideString(scrubbed));
    this.copied = this.at;
  }

  /** The rewritten payload, once every field was read. */
  done(): RecordEdit {
    if (this.at !== this.payload.length) throw this.damaged();
    if (this.out.length === 0) return "keep";
    return Buffer.concat([...this.out, this.payload.subarray(this.copied)]);
  }

  private damaged(): BadFileError {
    return new BadFileError(DAMAGED, new Error(`${this.name} of ${this.payload.length} bytes does not hold its fields`));
  }
}

const bit = (flags: number, n: number): boolean => ((flags >>> n) & 1) === 1;

/**
 * One connection record rewritten as the OOXML rules rewrite `xl/connections.xml`: a connection
 * string (an offline cube's too) loses its credentials and folders, the data file and connection file (`sourceFile`,
 * `odcFile`), a web query's address (`url`) and a text import's file keep their bare names.
 */
export function cleanConnectionRecord(type: number, payload: Buffer): RecordEdit {
  if (DATA_MODEL_CONNECTIONS.has(type)) throw new BadFileError(WITH_DATA_MODEL);
  switch (type) {
    case EXT_CONNECTION: {
      // BrtBeginExtConnection: versions, pc, reserved (4), wInterval (2), flags (4), idbtype,
      // irecontype, dwConnID (4 each), iCredMethod (1), then the strings the flags say are there.
      const f = new Fields(payload, "BrtBeginExtConnection");
      f.skip(6);
      const flags = f.u32();
      f.skip(13);
      if (bit(flags, 16)) f.string(bareName);
      if (bit(flags, 17)) f.string(bareName);
      if (bit(flags, 18)) f.string();
      f.string();
      if (bit(flags, 20)) f.string();
      return f.done();
    }
    case EC_DB_PROPS: {
      // BrtBeginECDbProps: icmdtype (4), flags (1: fLoadCmdSvr, fLoadCmd), stConn, stCmd, stCmdSvr.
      const f = new Fields(payload, "BrtBeginECDbProps");
      f.skip(4);
      const flags = f.u8();
      f.string(scrubConnectionString);
      if (bit(flags, 1)) f.string();
      if (bit(flags, 0)) f.string();
      return f.done();
    }
    case EC_OLAP_PROPS: {
      // BrtBeginECOlapProps: flags (1), nDrillthroughRows (4), flags (1: bLoadConnLocal), stConnLocal.
      const f = new Fields(payload, "BrtBeginECOlapProps");
      f.skip(5);
      if (bit(f.u8(), 0)) f.string(scrubConnectionString);
      return f.done();
    }
    case EC_WEB_PROPS: {
      // BrtBeginECWebProps: wHTMLFmt (1), flags (4), stURL, stWebPost, stEditWebPage.
      const f = new Fields(payload, "BrtBeginECWebProps");
      f.skip(1);
      const flags = f.u32();
      if (bit(flags, 26)) f.string(bareName);
      if (bit(flags, 24)) f.string();
      if (bit(flags, 25)) f.string();
      return f.done();
    }
    case EC_TXT_WIZ: {
      // BrtBeginECTxtWiz: ECTxtWizData (flags 4, chCustom 2, rowStartAt 4, chDecimal 1, chThousSep 1), stFile.
      const f = new Fields(payload, "BrtBeginECTxtWiz");
      f.skip(12);
      f.string(bareName);
      return f.done();
    }
    default:
      return "keep";
  }
}
