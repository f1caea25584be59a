import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "./helpers/make-images.js";
import { findMarker } from "./helpers/marker-scan.js";
import { cleanedCopyViaApi } from "./helpers/remove-api.js";
import { startServer, type RunningServer } from "./helpers/server.js";
import { exiftool, pixelSignature } from "./helpers/tools.js";

/**
 * A stereo JPEG (JPS: two views side by side or over and under, as 3D cameras and viewers write)
 * is a JPEG whose APP3 segment describes the layout, and may carry a comment after it. It was
 * refused as an unsupported type (422, "JPS").
 */

const MARKER = "StereoMark_p4Wz9Q";

let server: RunningServer;
let tmp: string;

beforeAll(async () => {
  server = await startServer();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "stereo-jpeg-"));
});

afterAll(async () => {
  await server.stop();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** The JPS APP3 segment: identifier, a 4-byte descriptor (stereo, left field first, over/under), a comment. */
function jpsSegment(comment: string): Buffer {
  const text = Buffer.from(comment, "latin1");
  const payload = Buffer.concat([Buffer.from("_JPSJPS_", "latin1"), Buffer.from([0, 4, 0, 4, 3, 1]), Buffer.from([text.length >> 8, text.length & 0xff]), text]);
  return Buffer.concat([Buffer.from([0xff, 0xe3, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]), payload]);
}

async function layout(file: string): Promise<Record<string, unknown>> {
  const [json] = JSON.parse(await exiftool(["-j", "-G0", "-FileType", "-JPS:all", file])) as Record<string, unknown>[];
  return json ?? {};
}

describe("stereo JPEG (JPS)", () => {
  it("is cleaned: the layout descriptor stays, its comment and the photo's metadata go, same pixels", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "jps-"));
    const jpeg = await fs.readFile(await makeJpeg(dir, MARKER));
    const input = path.join(dir, "stereo.jps");
    await fs.writeFile(input, Buffer.concat([jpeg.subarray(0, 2), jpsSegment(`taken by ${MARKER}`), jpeg.subarray(2)]));
    const before = await layout(input);
    expect(before["File:FileType"]).toBe("JPS");
    expect(before["APP3:JPSComment"]).toBe(`taken by ${MARKER}`);

    const { out: output } = await cleanedCopyViaApi(server, input, dir);
    expect(await findMarker(output, MARKER)).toEqual([]);
    const after = await layout(output);
    const { "APP3:JPSComment": _comment, ...descriptor } = before;
    expect({ ...after, SourceFile: null }).toEqual({ ...descriptor, SourceFile: null });
    expect(await pixelSignature(output)).toBe(await pixelSignature(input));
  });
});
