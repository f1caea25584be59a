import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { id3v1, id3v2 } from "./helpers/make-av-formats.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { findingsViaApi, postFile, type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * True Audio (.tta, a lossless codec some rippers and players offer) was refused as a type
 * ExifTool does not know. Its files are tagged as MP3s are: an ID3v2 tag before the stream, an
 * APEv2 tag (what ffmpeg and foobar2000 write: title, artist, the encoder) and an ID3v1 tag after.
 */

let server: RunningServer;
let dir: string;
const MARKER = "TtaHidden6093";

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-tta-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

/** A two-second chord encoded by ffmpeg, with the APEv2 tag it writes: the stream and the tag apart. */
async function encodeTta(): Promise<{ stream: Buffer; apeTag: Buffer }> {
  const file = path.join(dir, `chord-${crypto.randomUUID()}.tta`);
  await run("ffmpeg", [
    "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:duration=2", "-f", "lavfi", "-i", "sine=frequency=660:duration=2",
    "-filter_complex", "amerge", "-ar", "44100", "-metadata", `title=${MARKER} title`, "-metadata", `artist=${MARKER} artist`,
    "-metadata", `comment=${MARKER} comment`, "-c:a", "tta", file,
  ]);
  const encoded = await fs.readFile(file);
  const tagAt = encoded.lastIndexOf(Buffer.from("APETAGEX", "latin1"), encoded.length - 32 - 1);
  if (encoded.toString("latin1", 0, 4) !== "TTA1" || tagAt < 0) throw new Error("ffmpeg wrote no TTA1 stream with an APE tag");
  return { stream: encoded.subarray(0, tagAt), apeTag: encoded.subarray(tagAt) };
}

async function decoded(data: Buffer): Promise<Buffer> {
  const file = path.join(dir, `decode-${crypto.randomUUID()}.tta`);
  await fs.writeFile(file, data);
  return (await run("ffmpeg", ["-v", "error", "-i", file, "-f", "s16le", "-"])).stdout;
}

describe("True Audio", () => {
  it("reports the tags around a TTA stream and cuts them off, with the bytes between the stream's end and its tags; the stream comes back byte for byte", async () => {
    const { stream, apeTag } = await encodeTta();
    const between = Buffer.from(`left by a tagger: ${MARKER}`, "latin1");
    const file = path.join(dir, "song.tta");
    const data = Buffer.concat([id3v2(MARKER), stream, between, apeTag, id3v1(MARKER)]);
    await fs.writeFile(file, data);

    const extracted = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "song.tta", data }, { headers: { "X-API-Key": server.apiKey } });
    expect(((await extracted.json()) as { metadata: Record<string, unknown> }).metadata).toMatchObject({ File: { Type: "audio/x-tta" }, ape: { Title: `${MARKER} title` } });
    const findings = await findingsViaApi(server, "song.tta", data);
    expect(findings.find((f) => f.tags?.includes("ape:Artist"))?.value).toBe(`${MARKER} artist`);

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(body["removed"]).toMatchObject({ ape: expect.any(Number), id3: expect.any(Number) });
    expect(cleaned).toEqual(stream);
    const out = path.join(dir, "cleaned.tta");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    const sound = await decoded(cleaned!);
    expect(sound.length).toBe(2 * 44100 * 2 * 2);
    expect(sound).toEqual(await decoded(data));
  });

  it("refuses as damaged a TTA stream whose frames run past the file's end, or whose header gives no sample rate", async () => {
    const { stream, apeTag } = await encodeTta();
    const noRate = Buffer.from(stream);
    noRate.writeUInt32LE(0, 10);
    const cases: [string, Buffer, string][] = [
      ["cut.tta", Buffer.concat([stream.subarray(0, stream.length - 100), apeTag]), "its frames run past its end"],
      ["no-rate.tta", Buffer.concat([noRate, apeTag]), "its sample rate is zero"],
    ];
    for (const [name, data, why] of cases) {
      const file = path.join(dir, name);
      await fs.writeFile(file, data);
      const { status, body } = await removeViaApi(server, file);
      expect(status, name).toBe(422);
      expect(body["error"], name).toBe(`The True Audio (TTA) file could not be read: ${why}.`);
    }
  });
});
