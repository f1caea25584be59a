import { blankEmf, startsLikeEmf } from "../image/metafile-emf.js";
import { cleanPackedDib } from "../image/metafile-dib.js";
import { blankWmf } from "../image/metafile-wmf.js";
import { startsLike } from "./embedded-metafile.js";

/** The streams of an embedded object's presentation caches ([MS-OLEDS] 2.3.4). */
export const PRESENTATION_CACHE = /^\x02OlePres\d{3}$/i;

const CF_METAFILEPICT = 3;
const CF_DIB = 8;
const CF_ENHMETAFILE = 14;
const CF_DIBV5 = 17;
const DIB_RGB_COLORS = 0;
/** A stream's clipboard format is a standard one (the marker, then its number), or named by a string of at most this length. */
const STANDARD_FORMAT = 0xfffffffe;
const MAX_FORMAT_NAME = 0x201;
/** What the target device's size says when there is none: its own four bytes. */
const NO_DEVICE = 4;
/** Aspect, index, flags, a reserved word, width and height, before the data's size. */
const BEFORE_SIZE = 24;

/**
 * An embedded object's presentation cache (`\x02OlePresNNN`, [MS-OLEDS] 2.3.4: the picture a
 * document shows of the object until its program draws it again), cleaned:
 * - the target device it was drawn for goes: a DVTARGETDEVICE naming the printer driver, the
 *   printer (a network printer's name names its print server) and its port, with the printer's
 *   DEVMODE. Its size, which counts its own four bytes (as Wine's ole32 reads it), then says
 *   none, as OLE writes a cache drawn for the screen;
 * - the picture: a WMF or EMF loses its comments and description (image/metafile-*.ts, counted),
 *   an EMF drawn as a WMF the EMF it carries in its comments,
 *   a DIB its colour profile (metafile-dib.ts).
 * The bytes after the picture stay as they are. The stream may shrink: nothing refers to it by
 * offset. Null when it does not read as a presentation stream, or holds neither a device nor a
 * picture these clean: it is left as it is.
 */
export function cleanPresentationCache(stream: Buffer): { cleaned: Buffer; texts: number } | null {
  const head = formatOf(stream);
  if (head == null || head.at + 4 > stream.length) return null;
  const deviceSize = stream.readUInt32LE(head.at);
  const afterDevice = head.at + deviceSize;
  if (deviceSize < NO_DEVICE || afterDevice + BEFORE_SIZE + 4 > stream.length) return null;
  const dataAt = afterDevice + BEFORE_SIZE + 4;
  const size = stream.readUInt32LE(dataAt - 4);
  if (dataAt + size > stream.length) return null;
  const picture = cleanPicture(head.format, Buffer.from(stream.subarray(dataAt, dataAt + size)));
  if (deviceSize === NO_DEVICE && picture == null) return null;
  const data = picture?.data ?? stream.subarray(dataAt, dataAt + size);
  const sizes = Buffer.alloc(4);
  sizes.writeUInt32LE(data.length);
  const cleaned = Buffer.concat([
    stream.subarray(0, head.at),
    Buffer.from([NO_DEVICE, 0, 0, 0]),
    stream.subarray(afterDevice, dataAt - 4),
    sizes,
    data,
    stream.subarray(dataAt + size),
  ]);
  return { cleaned, texts: picture?.texts ?? 0 };
}

/** Where a DVTARGETDEVICE names the printer (after its size, the driver name's offset). */
const DEVICE_NAME_OFFSET = 6;

/**
 * The printer a presentation cache was drawn for, as its target device names it (the device
 * name, a network printer's with its print server), or null when it has none or it does not read.
 */
export function presentationCachePrinter(stream: Buffer): string | null {
  const head = formatOf(stream);
  if (head == null || head.at + 4 > stream.length) return null;
  const device = stream.subarray(head.at, head.at + stream.readUInt32LE(head.at));
  if (device.length <= NO_DEVICE || device.length < DEVICE_NAME_OFFSET + 2 || head.at + device.length > stream.length) return null;
  const at = device.readUInt16LE(DEVICE_NAME_OFFSET);
  const end = device.indexOf(0, at);
  const name = at === 0 || at >= device.length ? "" : device.toString("latin1", at, end < 0 ? device.length : end).trim();
  return name === "" ? null : name;
}

/** The stream's clipboard format (a standard one's number, null for a named one) and where the target device's size lies. */
function formatOf(stream: Buffer): { format: number | null; at: number } | null {
  if (stream.length < 4) return null;
  const marker = stream.readUInt32LE(0);
  if (marker >= STANDARD_FORMAT) return stream.length < 8 ? null : { format: stream.readUInt32LE(4), at: 8 };
  return marker === 0 || marker > MAX_FORMAT_NAME ? null : { format: null, at: 4 + marker };
}

/** The cache's picture cleaned (a copy of its bytes, cleaned in place and maybe shorter), or null when it is none these clean or nothing changed. */
function cleanPicture(format: number | null, data: Buffer): { data: Buffer; texts: number } | null {
  // OLE stores an EMF's cache as the WMF GetWinMetaFileBits makes of it (the EMF itself inside
  // its comments, which go): both formats may hold either kind.
  if ((format === CF_METAFILEPICT || format === CF_ENHMETAFILE) && (startsLike("wmf", data) || startsLikeEmf(data))) {
    const { blanked, end } = startsLikeEmf(data) ? blankEmf(data) : blankWmf(data);
    return blanked > 0 ? { data: data.subarray(0, end), texts: blanked } : null;
  }
  if ((format === CF_DIB || format === CF_DIBV5) && cleanPackedDib(data, 0, data.length, DIB_RGB_COLORS)) return { data, texts: 0 };
  return null;
}
