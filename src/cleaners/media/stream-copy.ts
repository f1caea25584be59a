import fsp from "node:fs/promises";
import path from "node:path";
import { BadFileError, TooComplexError } from "../errors.js";
import { runFfmpeg, type MediaSource } from "./ffmpeg.js";
import { patchPieces, type Patch, type PieceSource, wholeFile } from "./patch-pieces.js";
import type { StreamSpec } from "./sei.js";

/** Bytes of the extracted stream read at a time. */
const CHUNK = 4 * 1024 * 1024;

export interface StreamCopy {
  /** ffmpeg's output format, also the file's extension (`m4v`, `adts`, `latm`). */
  format: string;
  /** ffmpeg arguments after the stream copy's (a bitstream filter). */
  extraArgs?: readonly string[];
  workDir: string;
  /** Names the scan in the error ffmpeg's failure gives (for the log). */
  scan: string;
  /** The user's sentence when ffmpeg cannot read the stream. */
  damaged: string;
}

/**
 * One stream of `src` as ffmpeg copies it out, as a raw elementary stream in the work folder,
 * read a chunk at a time: `read` gets each window (the bytes it left unread last time, then the
 * next chunk; `final` once the stream ended) and returns where the bytes it could not judge yet
 * start. The file goes afterwards, whatever happened.
 */
export async function readStreamCopy(
  src: MediaSource,
  stream: StreamSpec,
  copy: StreamCopy,
  read: (window: Buffer, final: boolean) => number,
): Promise<void> {
  const out = path.join(copy.workDir, `${copy.format}-${stream.replace(/[^0-9A-Za-z]/g, "_")}-${Date.now()}.${copy.format}`);
  const r = await runFfmpeg([src], ["-map", `0:${stream}`, "-c", "copy", ...(copy.extraArgs ?? []), "-f", copy.format, "-y", `file:${path.resolve(out)}`]);
  try {
    if (r.code !== 0) throw new BadFileError(copy.damaged, new Error(`ffmpeg (${copy.scan}) exited ${r.code}: ${r.stderr.slice(0, 2000)}`));
    const fh = await fsp.open(out, "r");
    try {
      let carry = Buffer.alloc(0);
      for (let at = 0; ; ) {
        const buf = Buffer.alloc(CHUNK);
        const { bytesRead } = await fh.read(buf, 0, CHUNK, at);
        at += bytesRead;
        const final = bytesRead === 0;
        const window = Buffer.concat([carry, buf.subarray(0, bytesRead)]);
        carry = Buffer.from(window.subarray(read(window, final)));
        if (final) break;
      }
    } finally {
      await fh.close();
    }
  } finally {
    await fsp.rm(out, { force: true });
  }
}

/**
 * The same-length patches for one stream's copy, one per distinct run of bytes (encoders repeat
 * the same few), at most `max` of them.
 */
export class DistinctPatches {
  private readonly byBytes = new Map<string, Patch>();

  /** `tooMany` ends the sentence "more than `max` ..." of the refusal. */
  constructor(
    private readonly max: number,
    private readonly tooMany: string,
  ) {}

  get size(): number {
    return this.byBytes.size;
  }

  /** The patch from `from` to a copy of it that `blank` changes, unless the same bytes have one. */
  add(from: Buffer, blank: (to: Buffer) => void): void {
    const key = from.toString("latin1");
    if (this.byBytes.has(key)) return;
    if (this.byBytes.size >= this.max) throw new TooComplexError(`more than ${this.max} ${this.tooMany}`);
    const to = Buffer.from(from);
    blank(to);
    this.byBytes.set(key, { from: Buffer.from(from), to });
  }

  /**
   * Applies the patches to `output` where `layout` says its container keeps the stream, and, where
   * the packets are cut (ASF, MPEG-TS), to the whole file too: the codec configuration lies outside
   * them, in the header. Resolves to the number of places patched.
   */
  async applyTo(output: string, layout: PieceSource): Promise<number> {
    // Longest first: a patch that starts another longer one must not be matched inside it.
    const sorted = [...this.byBytes.values()].sort((a, b) => b.from.length - a.from.length);
    let places = await patchPieces(output, layout, sorted);
    if (layout !== wholeFile) places += await patchPieces(output, wholeFile, sorted);
    return places;
  }
}
