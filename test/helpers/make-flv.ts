import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { run } from "./tools.js";

/**
 * An FLV as FLVTool2 and live-stream recorders leave it: ffmpeg makes the video and sound (and,
 * with `timedText`, an `onTextData` subtitle track from an SRT), then script-data tags are put
 * between the frames by hand, each holding the marker: a cue point with parameters (FLVTool2's
 * `onCuePoint`), a later `onMetaData` naming a creator, and a `|RtmpSampleAccess` tag. Their
 * timestamps are past 0, so ffmpeg's demuxer reads them as a "text" subtitle track.
 */
export async function makeFlvWithScriptData(dir: string, marker: string, opts: { timedText?: boolean } = {}): Promise<string> {
  const plain = path.join(dir, `plain-${crypto.randomUUID()}.flv`);
  const srt = path.join(dir, `text-${crypto.randomUUID()}.srt`);
  await fs.writeFile(srt, "1\n00:00:00,200 --> 00:00:00,800\nHello there\n");
  await run("ffmpeg", [
    "-nostdin", "-loglevel", "error", "-y",
    "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1",
    "-f", "lavfi", "-i", "sine=frequency=440:duration=1",
    ...(opts.timedText === true ? ["-i", srt, "-map", "0", "-map", "1", "-map", "2", "-c:s", "text"] : []),
    "-c:v", "flv1", "-c:a", "mp3", "-f", "flv", plain,
  ]);
  const scriptTags: Array<[ms: number, body: Buffer]> = [
    [150, Buffer.concat([amfString("|RtmpSampleAccess"), Buffer.from([1, 1, 1, 1])])],
    [300, Buffer.concat([amfString("onCuePoint"), amfObject({ name: `${marker} cue`, time: 0.3, type: "navigation", parameters: { [marker]: `${marker} value` } })])],
    [500, Buffer.concat([amfString("onMetaData"), amfObject({ metadatacreator: `${marker} creator`, duration: 1 })])],
  ];
  const file = path.join(dir, `script-data-${crypto.randomUUID()}.flv`);
  await fs.writeFile(file, insertTags(await fs.readFile(plain), scriptTags));
  return file;
}

/** The FLV with each script tag put before the first tag whose timestamp is not below its own. */
function insertTags(flv: Buffer, scriptTags: ReadonlyArray<[number, Buffer]>): Buffer {
  const parts: Buffer[] = [flv.subarray(0, flv.readUInt32BE(5) + 4)];
  const pending = [...scriptTags];
  let at = parts[0]!.length;
  // The first tag is ffmpeg's own onMetaData at 0 ms.
  let first = true;
  while (at + 11 <= flv.length) {
    const size = flv.readUIntBE(at + 1, 3);
    const ms = flv.readUIntBE(at + 4, 3) | (flv[at + 7]! << 24);
    while (!first && pending.length > 0 && pending[0]![0] <= ms) parts.push(tag(18, pending[0]![0], pending.shift()![1]));
    parts.push(flv.subarray(at, at + 11 + size + 4));
    at += 11 + size + 4;
    first = false;
  }
  if (pending.length > 0) throw new Error("the FLV ends before the script tags' times");
  return Buffer.concat(parts);
}

/** One FLV tag of `type` at `ms` with its trailing previous-tag size. */
function tag(type: number, ms: number, body: Buffer): Buffer {
  const head = Buffer.alloc(11);
  head[0] = type;
  head.writeUIntBE(body.length, 1, 3);
  head.writeUIntBE(ms & 0xffffff, 4, 3);
  head[7] = ms >>> 24;
  const size = Buffer.alloc(4);
  size.writeUInt32BE(11 + body.length);
  return Buffer.concat([head, body, size]);
}

type AmfValue = string | number | { [key: string]: AmfValue };

function amfString(s: string): Buffer {
  const bytes = Buffer.from(s, "utf8");
  const head = Buffer.alloc(3);
  head[0] = 2;
  head.writeUInt16BE(bytes.length, 1);
  return Buffer.concat([head, bytes]);
}

function amfValue(v: AmfValue): Buffer {
  if (typeof v === "string") return amfString(v);
  if (typeof v === "number") {
    const b = Buffer.alloc(9);
    b.writeDoubleBE(v, 1);
    return b;
  }
  return amfObject(v);
}

/** An AMF0 object: its properties, then the empty name and the object-end marker. */
function amfObject(o: { [key: string]: AmfValue }): Buffer {
  const props = Object.entries(o).map(([k, v]) => Buffer.concat([amfString(k).subarray(1), amfValue(v)]));
  return Buffer.concat([Buffer.from([3]), ...props, Buffer.from([0, 0, 9])]);
}
