import fsp, { type FileHandle } from "node:fs/promises";
import { BadFileError } from "../errors.js";
import { runTool } from "../run-tool.js";
import { DIF_BLOCK, blankDifPacks, difPacksLeft } from "./dv-blocks.js";
import { inputArgs, type MediaSource } from "./ffmpeg.js";

/** How far past a packet's position its frame may start: Matroska's position is its block's, 4 bytes of header before the frame. */
const SLACK = 32;

/** The sample entry formats of DV in MP4 and MOV (DV25, DVCAM, DVCPRO 25/50/HD), as ffmpeg's mov muxer and cameras write them. */
export const DV_FORMATS = new Set(["dvc ", "dvcp", "dvpp", "dv5n", "dv5p", "dvh2", "dvh3", "dvh5", "dvh6", "dvhp", "dvhq", "AVdv", "AVd1"]);

interface Place {
  pos: number;
  size: number;
}

/**
 * Cleans the DV frames of video stream `stream` (ffprobe's specifier) of `copy` in place, as raw DV
 * is (`dv-blocks.ts`: the recording date and time every frame carries, user bits, the camera's
 * settings, text; the time code zeroed): a container copies a DV frame byte for byte, so a remux
 * keeps them all. Each frame is found where ffprobe places its packet (AVI, Matroska and MOV
 * write a frame in one piece) and written back in place; then every frame is read again, and one
 * still holding a pack makes the copy refused. Resolves to the number of packs cleaned.
 */
export async function cleanDvFrames(copy: MediaSource, stream: string, typeName: string): Promise<number> {
  const places = await packetPlaces(copy, stream, typeName);
  const fh = await fsp.open(copy.file, "r+");
  try {
    let packs = 0;
    for (const place of places) {
      const { frame, at } = await readFrame(fh, place, typeName);
      packs += blankDifPacks(frame, 0);
      await fh.write(frame, 0, frame.length, at);
    }
    for (const place of places) {
      const { frame } = await readFrame(fh, place, typeName);
      if (difPacksLeft(frame, 0) > 0) throw new BadFileError(`The ${typeName} file's DV video could not be cleaned.`, new Error(`dv: a pack is left in the frame at ${place.pos}`));
    }
    return packs;
  } finally {
    await fh.close();
  }
}

/** The DV frame of a packet: from its header block (section 0, sequence 0, block 0; a subcode block after it), `size` bytes. */
async function readFrame(fh: FileHandle, place: Place, typeName: string): Promise<{ frame: Buffer; at: number }> {
  const buf = Buffer.alloc(place.size + SLACK);
  const { bytesRead } = await fh.read(buf, 0, buf.length, place.pos);
  for (let o = 0; o <= SLACK && o + place.size <= bytesRead; o++) {
    const isHeader = (buf[o]! & 0xe0) === 0 && (buf[o + 1]! & 0xf0) === 0 && buf[o + 2] === 0;
    if (isHeader && buf[o + DIF_BLOCK]! >> 5 === 1) return { frame: buf.subarray(o, o + place.size), at: place.pos + o };
  }
  throw new BadFileError(`The ${typeName} file's DV video could not be read.`, new Error(`dv: no DV frame where ffprobe places the packet at ${place.pos}`));
}

/** Where the packets of the stream lie in the file, and their sizes, as ffprobe reads them. */
async function packetPlaces(src: MediaSource, stream: string, typeName: string): Promise<Place[]> {
  const r = await runTool(
    "ffprobe",
    ["-hide_banner", "-v", "error", ...inputArgs(src), "-select_streams", stream, "-show_entries", "packet=pos,size", "-of", "csv=p=0"],
    { timeoutMs: 120_000, maxOutputBytes: 64 * 1024 * 1024 },
  );
  const places = r.stdout
    .toString("utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      // ffprobe prints a packet's fields in its own order: size, then pos.
      const [size, pos] = line.split(",").map(Number);
      return { pos: pos!, size: size! };
    });
  if (r.code !== 0 || places.some((p) => !Number.isInteger(p.pos) || p.pos < 0 || !Number.isInteger(p.size) || p.size % DIF_BLOCK !== 0)) {
    throw new BadFileError(`The ${typeName} file is damaged and could not be read.`, new Error(`ffprobe (DV packets of ${stream}) exited ${r.code}: ${r.stderr.slice(0, 2000)}`));
  }
  return places;
}
