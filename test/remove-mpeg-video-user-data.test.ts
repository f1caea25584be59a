import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamHash } from "./helpers/make-media.js";
import { AFD, CAPTION, captionWithText, type Mpeg2Container, makeMpeg2Video, pictureNote, plantUserData, streamUnits } from "./helpers/make-mpeg2.js";
import { findMarker } from "./helpers/marker-scan.js";
import { replacePayload } from "./helpers/plant-boxes.js";
import { cleanedCopyViaApi, removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";

/*
 * MPEG-1/2 video carries text inside the stream, where a remux keeps it: user data units after
 * the sequence, GOP and picture headers (an encoder's or a camera's name), and a time code in
 * every GOP header (the time of day, for a camcorder in "free run"). Every container of such
 * video kept them all. The copy keeps captions and the active format description, which players
 * show or act on, and the pictures decode the same.
 */

let server: RunningServer;
let dir: string;
const MARKER = `Mpeg2ud${crypto.randomBytes(6).toString("hex")}`;
const CONTAINERS: Mpeg2Container[] = ["ts", "vob", "mpeg1", "mkv", "mov", "mp4", "avi"];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-mpeg2-ud-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const kept = (units: readonly Buffer[], payload: Buffer): number => units.filter((u) => u.equals(payload)).length;


describe("MPEG-1/2 video user data and time codes", () => {
  it.each(CONTAINERS)(
    "%s: the planted units and the time codes go, captions and AFD stay, decoded frames identical",
    async (container) => {
      const file = await makeMpeg2Video(dir, container, MARKER);
      const before = await streamUnits(file, dir);
      expect(before.userData.filter((u) => u.includes(MARKER)).length).toBeGreaterThan(10);
      // A program stream's packets cut pictures anywhere: none of the camera's notes lies whole in one.
      if (container === "vob" || container === "mpeg1") expect((await fs.readFile(file)).includes(pictureNote(MARKER), 0, "latin1")).toBe(false);
      expect(before.timeCodes[0]).toBe("10:11:12:13");
      expect(await findMarker(file, MARKER)).not.toEqual([]);

      const { out, removed } = await cleanedCopyViaApi(server, file, dir);
      expect(await findMarker(out, MARKER)).toEqual([]);
      const after = await streamUnits(out, dir);
      expect(after.timeCodes.length).toBe(before.timeCodes.length);
      expect(new Set(after.timeCodes)).toEqual(new Set(["00:00:00:00"]));
      // Each unit keeps its place and length (the planted ones are 0xFF bytes now), but for the
      // text after captions, which became zeros, the stuffing before the next start code.
      const expectedLengths = before.userData.map((u) => (u.equals(captionWithText(MARKER)) ? CAPTION.length : u.length));
      expect(after.userData.map((u) => u.length)).toEqual(expectedLengths);
      expect(after.userData.filter((u) => u.includes(MARKER))).toEqual([]);
      // A caption unit's structure stays, the text after it goes.
      const captioned = kept(before.userData, captionWithText(MARKER));
      expect(captioned).toBeGreaterThan(0);
      expect(kept(after.userData, CAPTION)).toBe(kept(before.userData, CAPTION) + captioned);
      expect(kept(after.userData, AFD)).toBe(kept(before.userData, AFD));
      expect(kept(after.userData, CAPTION)).toBeGreaterThan(10);
      expect(removed["mpegVideoUserData"]).toBeGreaterThan(10);
      expect(removed["mpegTimeCodes"]).toBeGreaterThan(0);
      expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
      expect(await streamHash(out, "0:a")).toBe(await streamHash(file, "0:a"));
    },
    120_000,
  );

  // A codec configuration written by other tools than ffmpeg holds what the first key frame's
  // headers hold, user data and GOP header included; ffmpeg's remux carries it into a Matroska
  // track's private data, an MP4's decoder information, an AVI's stream format.
  it.each(["mkv", "mp4", "avi"])(
    "%s whose codec configuration holds user data and a time code: both cleaned there too",
    async (ext) => {
      const mov = await makeMpeg2Video(dir, "mov", MARKER);
      const config = Buffer.concat([
        Buffer.from("000001b3", "hex"), Buffer.from("0b00901323d2a2b8", "hex"), Buffer.from("000001b5148a00010000", "hex"),
        Buffer.from(`\0\0\x01\xb2Config of ${MARKER}`, "latin1"), Buffer.from("000001b8289986c0", "hex"),
      ]);
      await replacePayload(mov, ["moov", "trak", "mdia", "minf", "stbl", "stsd", "entry", "glbl"], () => config);
      const file = path.join(dir, `config.${ext}`);
      await run("ffmpeg", [...ffmpegQuiet, "-i", mov, "-map", "0", "-c:v", "copy", "-c:a", "mp2", file]);
      expect((await fs.readFile(file)).includes(`Config of ${MARKER}`, 0, "latin1")).toBe(true);

      const { out, removed } = await cleanedCopyViaApi(server, file, dir);
      expect(await findMarker(out, MARKER)).toEqual([]);
      expect(new Set((await streamUnits(out, dir)).timeCodes)).toEqual(new Set(["00:00:00:00"]));
      expect(removed["mpegVideoUserData"]).toBeGreaterThan(10);
      expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
    },
    120_000,
  );

  it("TMPGEnc's signature, which changes how ffmpeg decodes, stays; the rest of its unit goes", async () => {
    const signed = `\0TMPGEXS\0 3.0 ${MARKER} settings of the encoder`;
    const file = path.join(dir, "tmpgenc.ts");
    const raw = path.join(dir, "tmpgenc.m2v");
    await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=size=176x144:rate=25:duration=1", "-c:v", "mpeg1video", "-f", "mpeg1video", raw]);
    const bytes = await fs.readFile(raw);
    const sequenceEnd = bytes.indexOf(Buffer.from([0, 0, 1, 0xb8]));
    await fs.writeFile(raw, Buffer.concat([bytes.subarray(0, sequenceEnd), Buffer.from(`\0\0\x01\xb2${signed}`, "latin1"), bytes.subarray(sequenceEnd)]));
    await run("ffmpeg", [...ffmpegQuiet, "-fflags", "+genpts", "-r", "25", "-f", "mpegvideo", "-i", raw, "-c", "copy", "-f", "mpegts", file]);

    const { out } = await cleanedCopyViaApi(server, file, dir);
    expect(await findMarker(out, MARKER)).toEqual([]);
    const units = (await streamUnits(out, dir)).userData;
    expect(units.map((u) => u.toString("latin1"))).toContain(`\0TMPGEXS\0${"\xff".repeat(signed.length - 9)}`);
    expect(await streamHash(out, "0:V", true)).toBe(await streamHash(file, "0:V", true));
  }, 60_000);

  it("a user data unit longer than any encoder writes: refused as too complex, never handed back", async () => {
    const raw = path.join(dir, "long.m2v");
    await run("ffmpeg", [...ffmpegQuiet, "-f", "lavfi", "-i", "testsrc=size=176x144:rate=25:duration=1", "-c:v", "mpeg2video", "-f", "mpeg2video", raw]);
    await fs.writeFile(raw, plantUserData(await fs.readFile(raw), `${MARKER} ${"x".repeat(70_000)}`));
    const file = path.join(dir, "long.ts");
    await run("ffmpeg", [...ffmpegQuiet, "-fflags", "+genpts", "-r", "25", "-f", "mpegvideo", "-i", raw, "-c", "copy", "-f", "mpegts", file]);
    const { status, body } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The file is too complex to process within this service's limits.");
  }, 60_000);
});
