import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import tarStream from "tar-stream";

/**
 * Archives built by hand for the archive tests, so that every field a cleaner must neutralise can
 * carry a marker (comments, extra fields, owner names, pax records, the gzip file name) and every
 * refused shape can be made (links, encryption flags, `..` names, sizes that claim a bomb).
 */

export interface ZipMember {
  name: string;
  data?: Buffer;
  /** A folder entry (the name ends with "/"). */
  directory?: boolean;
  comment?: string;
  /** Raw extra-field bytes, written in both the local and the central header. */
  extra?: Buffer;
  /** Unix mode (type and permissions), e.g. 0o100600 or 0o120777 for a symlink. */
  mode?: number;
  /** Sets the "encrypted" flag and puts a (fake) 12-byte encryption header before the data. */
  encrypted?: boolean;
  /** Deflated instead of stored. */
  deflate?: boolean;
  /** What the headers claim the data inflates to, instead of its real length. */
  claimedSize?: number;
  /** The compression method the headers name, instead of the data's own (stored or deflated). */
  method?: number;
  /**
   * Written as a streaming writer does (general purpose bit 3): CRC and sizes zero in the local
   * header, in a data descriptor after the data; the central directory has them.
   */
  descriptor?: boolean;
}

/** A DOS date of 15 March 2024, 10:30:00. */
const DOS_TIME = (10 << 11) | (30 << 5);
const DOS_DATE = ((2024 - 1980) << 9) | (3 << 5) | 15;

/** A ZIP (members stored unless told otherwise), UTF-8 names, made by "Unix". */
export function handZip(members: readonly ZipMember[], archiveComment = ""): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, "utf8");
    const plain = m.data ?? Buffer.alloc(0);
    const packed = m.deflate === true ? zlib.deflateRawSync(plain) : plain;
    const data = m.encrypted === true ? Buffer.concat([Buffer.alloc(12, 0x5a), packed]) : packed;
    const method = m.method ?? (m.deflate === true ? 8 : 0);
    const extra = m.extra ?? Buffer.alloc(0);
    const comment = Buffer.from(m.comment ?? "", "utf8");
    const crc = zlib.crc32(plain);
    const flags = 0x0800 | (m.encrypted === true ? 1 : 0) | (m.descriptor === true ? 8 : 0);
    const size = m.claimedSize ?? plain.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    if (m.descriptor !== true) {
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(data.length, 18);
      local.writeUInt32LE(size, 22);
    }
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt16LE(comment.length, 32);
    const mode = m.mode ?? (m.directory === true ? 0o40755 : 0o100644);
    central.writeUInt32LE(((mode << 16) | (m.directory === true ? 0x10 : 0)) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    const descriptor = Buffer.alloc(m.descriptor === true ? 16 : 0);
    if (m.descriptor === true) {
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc, 4);
      descriptor.writeUInt32LE(data.length, 8);
      descriptor.writeUInt32LE(size, 12);
    }
    const localAll = Buffer.concat([local, name, extra, data, descriptor]);
    locals.push(localAll);
    centrals.push(Buffer.concat([central, name, extra, comment]));
    offset += localAll.length;
  }
  const cd = Buffer.concat(centrals);
  const comment = Buffer.from(archiveComment, "utf8");
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(comment.length, 20);
  return Buffer.concat([...locals, cd, end, comment]);
}

/** An extra field record: 2-byte id, 2-byte length, data. */
export function extraField(id: number, data: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(id, 0);
  head.writeUInt16LE(data.length, 2);
  return Buffer.concat([head, data]);
}

export interface TarMember {
  name: string;
  data?: Buffer;
  type?: "file" | "directory" | "symlink" | "link";
  linkname?: string;
  mode?: number;
  /** Owner names, written into the ustar header. */
  owner?: string;
  /** Pax records (e.g. `comment`), written in a pax header before the member. */
  pax?: Record<string, string>;
}

/** A tar archive made with tar-stream, times and owners set (2024, uid 1234). */
export async function makeTar(members: readonly TarMember[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const collecting = pipeline(pack, new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) }));
  for (const m of members) {
    const header = {
      name: m.name,
      type: m.type ?? "file",
      mode: m.mode ?? (m.type === "directory" ? 0o755 : 0o600),
      mtime: new Date("2024-03-15T10:30:00Z"),
      uid: 1234,
      gid: 1234,
      uname: m.owner ?? "jdoe",
      gname: m.owner ?? "staff",
      ...(m.linkname != null ? { linkname: m.linkname } : {}),
      ...(m.pax != null ? { pax: m.pax } : {}),
    };
    await new Promise<void>((resolve, reject) => pack.entry(header, m.data ?? Buffer.alloc(0), (err) => (err != null ? reject(err) : resolve())));
  }
  pack.finalize();
  await collecting;
  return Buffer.concat(chunks);
}

/**
 * The tar's first header rewritten to claim `size` bytes (checksum fixed): a bomb's header, whose
 * data is not there. Only the claim can refuse it before anything is unpacked.
 */
export function claimSize(tar: Buffer, size: number): Buffer {
  const out = Buffer.from(tar);
  out.write(`${size.toString(8).padStart(11, "0")}\0`, 124, 12, "latin1");
  out.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += out[i]!;
  out.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
  return out;
}

/** A gzip member by hand, so that its header can carry a file name (`FNAME`) and a time. */
export function gzipWithName(data: Buffer, fileName: string): Buffer {
  const head = Buffer.from([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3]);
  head.writeUInt32LE(1710498600, 4);
  const tail = Buffer.alloc(8);
  tail.writeUInt32LE(zlib.crc32(data), 0);
  tail.writeUInt32LE(data.length >>> 0, 4);
  return Buffer.concat([head, Buffer.from(`${fileName}\0`, "latin1"), zlib.deflateRawSync(data), tail]);
}
