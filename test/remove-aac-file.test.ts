import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeAdts, type PlantedFill } from "./helpers/make-aac.js";
import { findMarker } from "./helpers/marker-scan.js";
import { cleanedCopyViaApi, removeViaApi } from "./helpers/remove-api.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { ffmpegQuiet, run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;
const MARKER = `AdtsMk${crypto.randomBytes(6).toString("hex")}`;

/** Next to ffmpeg's own "Lavc…" (frames 0 and 256): two planted texts, and libfaac's form, whose version must stay. */
const FILLS: PlantedFill[] = [
  { frame: 3, text: `Recorded by ${MARKER}` },
  { frame: 60, text: `libfaac 1.28 by ${MARKER}`, textBit: 32 },
  { frame: 200, text: `Recorded by ${MARKER}` },
];
const ELEMENTS = 5;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-adts-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function decodedAudio(file: string): Promise<string> {
  const { stdout } = await run("ffmpeg", ["-nostdin", "-loglevel", "error", "-i", file, "-map", "0:a", "-f", "md5", "-"]);
  return stdout.toString("utf8").trim();
}

async function extracted(file: string): Promise<{ metadata: Record<string, Record<string, unknown>>; findings: Array<{ tags: string[] }> }> {
  const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: path.basename(file), data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey } });
  expect(res.status).toBe(200);
  return (await res.json()) as { metadata: Record<string, Record<string, unknown>>; findings: Array<{ tags: string[] }> };
}

/** An ID3v1 tag (128 bytes) whose title is `title`. */
function id3v1(title: string): Buffer {
  const tag = Buffer.alloc(128);
  tag.write("TAG", 0, "latin1");
  tag.write(title.slice(0, 30), 3, "latin1");
  return tag;
}

describe("raw AAC (.aac, ADTS frames)", () => {
  it("the encoder's text and planted texts in fill elements are blanked in place, libfaac's version kept, decoded audio identical", async () => {
    const file = await makeAdts(dir, FILLS, "plain");
    const before = await extracted(file);
    expect(before.metadata["File"]?.["FileType"]).toBe("AAC");
    expect(String(before.metadata["aac"]?.["Encoder"])).toMatch(/^Lavc/);
    expect(before.findings.some((f) => f.tags.includes("aac:Encoder"))).toBe(true);
    expect(await findMarker(file, MARKER)).not.toEqual([]);

    const { out, removed } = await cleanedCopyViaApi(server, file, dir);
    expect(removed["aacText"]).toBe(ELEMENTS);
    const copy = await fs.readFile(out);
    expect(copy.length).toBe((await fs.stat(file)).size);
    expect(copy.includes("Lavc")).toBe(false);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(copy.includes("libfaac 1.28")).toBe(true);
    expect(await decodedAudio(out)).toBe(await decodedAudio(file));
    expect((await extracted(out)).metadata["aac"]?.["Encoder"]).toBeUndefined();
  }, 60_000);

  it("an ID3v2 tag before the frames (ExifTool then says MP3) and APE and ID3v1 tags after them are cut off; the frames stay", async () => {
    const planted = await makeAdts(dir, FILLS, "for-tags");
    const tagged = path.join(dir, "tagged-ape.aac");
    await run("ffmpeg", [...ffmpegQuiet, "-f", "aac", "-i", planted, "-c", "copy", "-metadata", `title=${MARKER} title`, "-metadata", `artist=${MARKER} artist`, "-write_id3v2", "1", "-write_apetag", "1", "-f", "adts", tagged]);
    const file = path.join(dir, "tagged.aac");
    await fs.writeFile(file, Buffer.concat([await fs.readFile(tagged), id3v1(MARKER)]));
    const bytes = await fs.readFile(file);
    expect(bytes.subarray(0, 3).toString("latin1")).toBe("ID3");
    expect(bytes.includes("APETAGEX")).toBe(true);

    const before = await extracted(file);
    expect(before.metadata["File"]?.["FileType"]).toBe("AAC");
    expect(JSON.stringify(before.metadata)).toContain(MARKER);

    const { out, removed } = await cleanedCopyViaApi(server, file, dir);
    expect(removed["aacText"]).toBe(ELEMENTS);
    expect(await findMarker(out, MARKER)).toEqual([]);
    const copy = await fs.readFile(out);
    expect(copy.includes("APETAGEX") || copy.includes("ID3") || copy.includes("Lavc")).toBe(false);
    expect(await decodedAudio(out)).toBe(await decodedAudio(planted));
  }, 60_000);

  it("bytes between frames go, frames stay; a file holding only a frame cut short is a 422 that says so", async () => {
    const plain = await makeAdts(dir, [], "junk", { seconds: 1 });
    const planted = await fs.readFile(plain);
    const length = ((planted[3]! & 3) << 11) | (planted[4]! << 3) | (planted[5]! >> 5);
    const file = path.join(dir, "with-junk.aac");
    await fs.writeFile(file, Buffer.concat([planted.subarray(0, length), Buffer.from(`between frames: ${MARKER}`), planted.subarray(length)]));
    const { out } = await cleanedCopyViaApi(server, file, dir);
    expect(await findMarker(out, MARKER)).toEqual([]);
    const { out: withoutJunk } = await cleanedCopyViaApi(server, plain, dir);
    expect(await fs.readFile(out)).toEqual(await fs.readFile(withoutJunk));

    const broken = path.join(dir, "broken.aac");
    await fs.writeFile(broken, planted.subarray(0, length - 1));
    const { status, body } = await removeViaApi(server, broken);
    expect(status).toBe(422);
    expect(body["error"]).toBe("The AAC file holds no ADTS audio frames.");
  }, 60_000);
});
