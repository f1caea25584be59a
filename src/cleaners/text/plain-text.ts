import fsp from "node:fs/promises";
import { BadFileError, UnsupportedTypeError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";
import { hiddenOf } from "../hidden-counts.js";
import type { CleanContext, Cleaner, CleanOutcome } from "../types.js";
import { ASS_SCRIPT_START, cleanAssScriptFile } from "./ass-script.js";
import { textFormOf } from "./text-forms.js";
import { checkCleanWebVtt, cleanWebVtt, readWebVtt, WEBVTT_START } from "./webvtt.js";

/**
 * Bytes of single-byte or UTF-8 text: those ExifTool's TXT allows in the 64 KB it looks at (bell to
 * carriage return, escape, printable ASCII, every byte from 0x80), and the end-of-file mark DOS
 * editors leave (0x1A).
 */
const TEXT_BYTE = new Uint8Array(256).map((_, b) => Number((b >= 0x07 && b <= 0x0d) || b === 0x1a || b === 0x1b || (b >= 0x20 && b !== 0x7f)));
/** The same, for the code points of UTF-16 and UTF-32 text below 0x80. */
const isTextUnit = (u: number): boolean => u >= 0x80 || TEXT_BYTE[u] === 1;

/** Enough of a file's start to hold a mail's header block. */
const FORM_HEAD_BYTES = 16 * 1024;

type Encoding = "bytes" | "utf16le" | "utf16be" | "utf32le" | "utf32be";

/**
 * Plain text (ExifTool's TXT: text in no format of its own, a CSV or a log included). It has no
 * place for metadata, only its content, so the copy is the file byte for byte (mat2 treats it so)
 * once every byte of it is shown to be text: ExifTool names a file TXT by its first 64 KB, and
 * after them a file may carry anything (an archive, a picture with its EXIF). Text in a format whose
 * fields are metadata (an e-mail, a calendar: text-forms.ts) is refused as that format; a WebVTT
 * subtitle file loses its header fields and notes (webvtt.ts), an ASS or SSA script its editor's
 * header fields and commented-out events (ass-script.ts). A text
 * file attached to a PDF, packaged in an Office document or kept in an archive is cleaned so too.
 */
export const plainTextCleaner: Cleaner = {
  name: "text",
  fileTypes: ["TXT"],
  async clean(ctx: CleanContext): Promise<CleanOutcome | void> {
    const src = await FileBytes.open(ctx.input);
    let webVtt = false;
    let assScript = false;
    try {
      const head = await src.read(0, FORM_HEAD_BYTES);
      const encoding = encodingOf(head);
      const text = decoded(head, encoding);
      webVtt = WEBVTT_START.test(text);
      assScript = encoding === "bytes" && ASS_SCRIPT_START.test(text);
      // WebVTT is UTF-8 alone (its specification, 4.1): another encoding's is no subtitle file a player reads.
      if (webVtt && encoding !== "bytes") throw new UnsupportedTypeError("WebVTT in UTF-16 or UTF-32");
      const form = webVtt || assScript ? null : textFormOf(text, encoding !== "bytes");
      if (form != null) throw new UnsupportedTypeError(form);
      await refuseNonText(src, encoding);
    } finally {
      await src.close();
    }
    if (webVtt) return cleanWebVttFile(ctx);
    if (assScript) return cleanAssScriptFile(ctx, "TXT");
    await fsp.copyFile(ctx.input, ctx.output, fsp.constants.COPYFILE_EXCL);
  },
  isStructural: () => false,
};

/**
 * A WebVTT subtitle file (ExifTool's TXT): its header fields and notes go (webvtt.ts), and a read
 * of the copy proves every cue is still there.
 */
async function cleanWebVttFile(ctx: CleanContext): Promise<CleanOutcome> {
  const keepNotes = ctx.keep.has("comments");
  const cleaned = cleanWebVtt(await readWebVtt(ctx.input), keepNotes);
  await fsp.writeFile(ctx.output, cleaned.text, { flag: "wx" });
  checkCleanWebVtt(await readWebVtt(ctx.output), cleaned.digest, keepNotes);
  return { hidden: hiddenOf({ subtitleHeaders: cleaned.headerLines, comments: cleaned.notes }) };
}

async function refuseNonText(src: FileBytes, encoding: Encoding): Promise<void> {
  const unit = unitOf(encoding);
  const wide = unit === 4;
  if (src.size % unit !== 0) throw notText();
  let highSurrogate = false;
  // A window's length is a multiple of 4 but where the file ends, so no unit is split between windows.
  for (let at = 0; at < src.size; ) {
    const window = await src.read(at, Math.min(1 << 20, src.size - at));
    if (window.length === 0) throw notText();
    for (let i = 0; i < window.length; i += unit) {
      if (encoding === "bytes") {
        if (TEXT_BYTE[window[i]!] !== 1) throw notText();
        continue;
      }
      const u = encoding === "utf16le" ? window.readUInt16LE(i) : encoding === "utf16be" ? window.readUInt16BE(i) : encoding === "utf32le" ? window.readUInt32LE(i) : window.readUInt32BE(i);
      const high = !wide && u >= 0xd800 && u <= 0xdbff;
      const low = !wide && u >= 0xdc00 && u <= 0xdfff;
      if (low !== highSurrogate || (!high && !low && !isTextUnit(u)) || u > 0x10ffff) throw notText();
      highSurrogate = high;
    }
    at += window.length;
  }
  if (highSurrogate) throw notText();
}

/** Bytes per code unit. */
function unitOf(encoding: Encoding): 1 | 2 | 4 {
  return encoding === "bytes" ? 1 : encoding === "utf32le" || encoding === "utf32be" ? 4 : 2;
}

/** The encoding its byte-order mark names (ExifTool's: UTF-16 and UTF-32 either way), else bytes. */
function encodingOf(head: Buffer): Encoding {
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfeff) return "utf32le";
  if (head[0] === 0xff && head[1] === 0xfe) return "utf16le";
  if (head[0] === 0xfe && head[1] === 0xff) return "utf16be";
  if (head.length >= 4 && head.readUInt32BE(0) === 0xfeff) return "utf32be";
  return "bytes";
}

/** `head` as characters, its byte-order mark left out (single bytes as Latin-1: only ASCII is looked for). */
function decoded(head: Buffer, encoding: Encoding): string {
  const units = head.subarray(0, head.length - (head.length % unitOf(encoding)));
  let text: string;
  if (encoding === "utf16le") text = units.toString("utf16le");
  else if (encoding === "utf16be") text = Buffer.from(units).swap16().toString("utf16le");
  else if (encoding === "bytes") text = units.toString("latin1");
  else {
    const read = (i: number): number => (encoding === "utf32le" ? units.readUInt32LE(i) : units.readUInt32BE(i));
    text = Array.from({ length: units.length / 4 }, (_, i) => String.fromCodePoint(Math.min(read(i * 4), 0x10ffff))).join("");
  }
  return text.replace(/^(\uFEFF|\xef\xbb\xbf)/, "");
}

function notText(): BadFileError {
  return new BadFileError("The file starts as text but holds data that is not text.");
}
