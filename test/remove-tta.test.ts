import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { id3v1, id3v2 } from "./helpers/make-av-formats.js";
import { encodeTta } from "./helpers/make-tta.js";
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

async function decoded(data: Buffer): Promise<Buffer> {
  const file = path.join(dir, `decode-${crypto.randomUUID()}.tta`);
  await fs.writeFile(file, data);
  return (await run("ffmpeg", ["-v", "error", "-i", file, "-f", "s16le", "-"])).stdout;
}

describe("True Audio", () => {
  it("reports the tags around a TTA stream and cuts them off, with the bytes between the stream's end and its tags; the stream comes back byte for byte", async () => {
    const { stream, apeTag } = await encodeTta(dir, MARKER);
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
    const { stream, apeTag } = await encodeTta(dir, MARKER);
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
