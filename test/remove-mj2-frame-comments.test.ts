import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { box } from "./helpers/make-images.js";
import { streamHash } from "./helpers/make-media.js";
import { motionJp2 } from "./helpers/make-mj2.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, exiftool, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `Mj2com${crypto.randomBytes(6).toString("hex")}`;
const COLOURS = ["#ff2000-#0030ff", "#00ff40-#400080", "#ffff00-#000000"];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-mj2-com-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

type Layout = "codestream boxes" | "bare codestreams" | "whole JP2 files";

/**
 * Three 32x32 frames in four tiles, each written by OpenJPEG with the marker as its codestream
 * comment (`-C`) next to OpenJPEG's own "Created by OpenJPEG", each sample in the media data a
 * `jp2c` box (as OpenJPEG's MJ2 writer put them), a bare codestream or a whole JP2 file (signature,
 * file type and header boxes before the codestream box) with `extra` appended; the movie's user
 * data and an XML box after the movie hold the marker too.
 */
async function commentedMovie(layout: Layout, extra: Buffer = Buffer.alloc(0)): Promise<string> {
  const frames = path.join(dir, layout.replace(/ /g, "-"));
  await fs.mkdir(frames, { recursive: true });
  const samples: Buffer[] = [];
  for (const [i, colours] of COLOURS.entries()) {
    const ppm = path.join(frames, `f${i}.ppm`);
    const frame = path.join(frames, `f${i}.${layout === "whole JP2 files" ? "jp2" : "j2k"}`);
    await run(CONVERT, ["-size", "32x32", `gradient:${colours}`, "-depth", "8", ppm]);
    await run("/usr/bin/opj_compress", ["-i", ppm, "-o", frame, "-t", "16,16", "-n", "3", "-C", `frame ${i} ${MARKER}`]);
    const bytes = await fs.readFile(frame);
    samples.push(layout === "codestream boxes" ? box("jp2c", bytes) : Buffer.concat([bytes, extra]));
  }
  const movie = path.join(frames, `movie-${extra.length}.mj2`);
  const moovExtra = [box("udta", box("\xa9nam", Buffer.from(`user data ${MARKER}`, "latin1")))];
  await fs.writeFile(movie, motionJp2({ width: 32, height: 32, samples, moovExtra, trailing: [box("xml ", Buffer.from(`<note>xml ${MARKER}</note>`))] }));
  return movie;
}

describe("POST /api/v1/remove on a Motion JPEG 2000 movie whose frames hold comments", () => {
  // ExifTool calls an MJ2 a JP2 and copies its movie box and media data unread: the comments in
  // every frame's codestream (metadata-extractor's speedway.mj2: "Created by OpenJPEG version
  // 1.2.0" in each of its 200 frames) and the movie's user data came back in the clean copy with
  // `remaining` empty.
  for (const layout of ["codestream boxes", "bare codestreams", "whole JP2 files"] as const) {
    it(`blanks every frame's codestream comments (frames as ${layout}) and the movie's metadata, decoded frames unchanged`, async () => {
      const movie = await commentedMovie(layout);
      const original = await fs.readFile(movie);
      for (const i of COLOURS.keys()) expect(original.includes(`frame ${i} ${MARKER}`)).toBe(true);
      for (const place of ["user data", "<note>xml"]) expect(original.includes(`${place} ${MARKER}`)).toBe(true);
      const frames = await streamHash(movie, "0:v:0", true);

      const { status, body, cleaned } = await removeViaApi(server, movie, "movie.mj2");
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body["remaining"]).toEqual({});
      const out = path.join(dir, `cleaned-${layout.replace(/ /g, "-")}.mj2`);
      await fs.writeFile(out, cleaned!);
      expect(await findMarker(out, MARKER)).toEqual([]);
      expect(cleaned!.includes("OpenJPEG")).toBe(false);
      expect(cleaned!.length).toBe(original.length);
      expect((await exiftool(["-s3", "-FileType", out])).trim()).toBe("JP2");
      expect(await streamHash(out, "0:v:0", true)).toBe(frames);
    });
  }

  it("refuses a movie whose frames hold a box that is not a picture, rather than hand its text back", async () => {
    const movie = await commentedMovie("whole JP2 files", box("xml ", Buffer.from(`<note>${MARKER}</note>`)));
    const { status, body } = await removeViaApi(server, movie, "notes.mj2");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The Motion JPEG 2000 file's frames hold boxes that cannot be cleaned.");
  });
});
