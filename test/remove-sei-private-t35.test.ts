import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamHash } from "./helpers/make-media.js";
import { captionsOf, makeSeiStream, privateT35SeiNal, type SeiCodec } from "./helpers/make-sei.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * User data registered by ITU-T T.35 is what broadcast captions (ATSC's "GA94") and dynamic HDR
 * (HDR10+, Dolby) travel in, so it stayed whole; but any maker can register a code and write its
 * own data there, which no player reads. A T.35 message of a scheme players do not know now goes
 * as user data unregistered does, and the captions beside it stay.
 */

let server: RunningServer;
let dir: string;
const MARKER = `Tthirtyfive${crypto.randomBytes(5).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-sei-t35-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The stream with a private T.35 SEI unit holding `text` put before its first picture. */
function withPrivateT35(stream: Buffer, codec: SeiCodec, text: string): Buffer {
  const isPicture = (h: number): boolean => (codec === "h264" ? [1, 5].includes(h & 0x1f) : ((h >> 1) & 0x3f) < 32);
  let first = stream.indexOf(Buffer.from([0, 0, 1]));
  while (first >= 0 && !isPicture(stream[first + 3]!)) first = stream.indexOf(Buffer.from([0, 0, 1]), first + 3);
  if (first < 0) throw new Error("the stream holds no picture");
  return Buffer.concat([stream.subarray(0, first), Buffer.from([0, 0, 1]), privateT35SeiNal(`camera notes ${text}`, codec), stream.subarray(first)]);
}

const cases: Array<[SeiCodec, string]> = [
  ["h264", "h264"],
  ["h264", "mp4"],
  ["h264", "mkv"],
  ["hevc", "hevc"],
  ["hevc", "mp4"],
  ["hevc", "ts"],
];

describe("user data registered under a T.35 scheme no player reads", () => {
  it.each(cases)("%s in %s: goes, counted as SEI user data; the captions and the frames are the same", async (codec, container) => {
    // The fixed text alone: the marker is also in the stream's own user data, which goes anyway.
    const stream = withPrivateT35(await fs.readFile(await makeSeiStream(dir, codec, "none", `t35-${container}`)), codec, MARKER);
    const bare = path.join(dir, `t35-${codec}-${container}.${codec}`);
    await fs.writeFile(bare, stream);
    const file = container === codec ? bare : path.join(dir, `t35-${codec}.${container}`);
    if (file !== bare) await run("ffmpeg", [...ffmpegQuiet, "-r", "10", "-f", codec, "-i", bare, "-c", "copy", ...(container === "mp4" && codec === "hevc" ? ["-tag:v", "hvc1"] : []), file]);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    // ffmpeg's movie source reads no timing from a bare stream: its captions are read through a Matroska copy.
    const captionsIn = async (f: string): Promise<{ packets: string; text: string }> => {
      if (f !== bare && !f.endsWith(`.${codec}`)) return captionsOf(f);
      const mkv = `${f}.mkv`;
      await run("ffmpeg", [...ffmpegQuiet, "-r", "10", "-f", codec, "-i", f, "-c", "copy", mkv]);
      return captionsOf(mkv);
    };
    const captions = await captionsIn(file);
    expect(captions.text).toContain("HI");

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, `cleaned-t35-${codec}-${container}.${container}`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    // Ten pictures' positions, two identifications, and the private message.
    expect((body["removed"] as Record<string, number>)["seiUserData"]).toBeGreaterThanOrEqual(13);
    expect(await captionsIn(out)).toEqual(captions);
    expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
  }, 60_000);
});
