import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import readline from "node:readline";
import { BadFileError } from "../errors.js";
import { runTool } from "../run-tool.js";
import { inputArgs, type MediaSource } from "./ffmpeg.js";
import { topLevelWalk } from "./iso-boxes.js";

/** Top-level boxes that hold media or padding: a sample may lie in them, and in no other. */
const SAMPLE_BOXES = new Set(["mdat", "free", "skip", "wide"]);
/** ffprobe's list of packets goes to a file, read a line at a time: a long recording has a million. */
const MAX_LIST_BYTES = 256 * 1024 * 1024;
const FFPROBE_TIMEOUT_MS = 120_000;

interface Span {
  from: number;
  to: number;
  type: string;
}

/**
 * Refuses (BadFileError) a QuickTime / ISO BMFF file one of whose `streams` has a sample that lies,
 * where its tables place it, in a top-level box other than media data or padding: in the `moov`,
 * say, whose handler names, user data and cover the remux then copies as picture or sound. A muxer
 * never writes that; a sample table whose sizes or offsets were damaged does (found by the fuzz
 * test: a video sample over the movie box's track headers). ffprobe lists the samples as ffmpeg's
 * demuxer reads them, the reading the remux copies.
 */
export async function checkPacketPlaces(src: MediaSource, streams: ReadonlySet<number>, typeName: string, workDir: string): Promise<void> {
  const all = await topLevelSpans(src.file);
  // A fragmented recording places its samples from each fragment's own header: tens of thousands
  // of fragments make this pass cost as much as the remux, for a case only damage makes. Not checked.
  if (all == null) return;
  const boxes = all.filter((b) => !SAMPLE_BOXES.has(b.type));
  if (boxes.length === 0) return;
  const list = path.join(workDir, "packets.txt");
  try {
    const r = await runTool(
      "ffprobe",
      ["-hide_banner", "-v", "error", ...inputArgs(src), "-show_entries", "packet=stream_index,pos,size", "-of", "compact=p=0", "-o", list],
      { timeoutMs: FFPROBE_TIMEOUT_MS, maxOutputBytes: 1024 * 1024, maxFileBytes: MAX_LIST_BYTES },
    );
    if (r.code !== 0) throw new BadFileError(`The ${typeName} file is damaged and could not be read.`, new Error(`ffprobe (packets) exited ${r.code}: ${r.stderr.slice(0, 2000)}`));
    const lines = readline.createInterface({ input: fs.createReadStream(list), crlfDelay: Infinity });
    for await (const line of lines) {
      const fields = numbers(line);
      const stream = fields.get("stream_index");
      const pos = fields.get("pos");
      const size = fields.get("size");
      if (stream == null || pos == null || size == null || !streams.has(stream)) continue;
      const box = overlapped(boxes, pos, pos + size);
      if (box != null) {
        lines.close();
        throw new BadFileError(
          `The ${typeName} file is damaged: its sample tables place a sample inside its '${box.type}' box.`,
          new Error(`stream ${stream}: a sample of ${size} bytes at ${pos} overlaps the '${box.type}' box at [${box.from}, ${box.to})`),
        );
      }
    }
  } finally {
    await fsp.rm(list, { force: true });
  }
}

/** The box of `boxes` (in order, apart) that [from, to) overlaps, or null. */
function overlapped(boxes: readonly Span[], from: number, to: number): Span | null {
  // The last box starting before `to`: an earlier one ends before it starts.
  let lo = 0;
  let hi = boxes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (boxes[mid]!.from < to) lo = mid + 1;
    else hi = mid;
  }
  const box = lo > 0 ? boxes[lo - 1]! : null;
  return box != null && box.to > from ? box : null;
}

/** The numeric fields of a line of ffprobe's compact output (`key=value|...`); "N/A" and the like left out. */
function numbers(line: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const pair of line.split("|")) {
    const eq = pair.indexOf("=");
    if (eq > 0 && /^\d+$/.test(pair.slice(eq + 1))) out.set(pair.slice(0, eq), Number(pair.slice(eq + 1)));
  }
  return out;
}

/** The file's top-level boxes that fit in it (topLevelWalk); null once a movie fragment shows. */
async function topLevelSpans(file: string): Promise<Span[] | null> {
  const fh = await fsp.open(file, "r");
  try {
    const out: Span[] = [];
    for await (const box of topLevelWalk(fh, (await fh.stat()).size)) {
      if (box.type === "moof") return null;
      out.push({ from: box.at, to: box.at + box.size, type: box.type });
    }
    return out;
  } finally {
    await fh.close();
  }
}
