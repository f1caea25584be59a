import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { handZip } from "./helpers/make-archives.js";
import { makePdfWithAttachments } from "./helpers/make-pdf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { startServer, type RunningServer } from "./helpers/server.js";

/**
 * A file inside another that no cleaner handles is refused by the form the cleaners recognised in
 * it (a GPS log, WebVTT in UTF-16), as the same file sent alone is, not by the generic type
 * ExifTool reads ("TXT"), which would tell the user nothing about why.
 */

const MARKER = "InnerForm7Q2";
const NMEA = "$GPRMC,112723.000,A,5040.3182,N,00505.9469,E,28.66,138.74,240410,,,A*51\r\n$GPRMC,112742.000,A,5040.2023,N,00506.1107,E,27.89,139.01,240410,,,A*56\r\n";
const VTT_UTF16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`WEBVTT - by ${MARKER}\n\n00:00.000 --> 00:01.000\nHello\n`, "utf16le")]);

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "inner-form-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fsp.rm(dir, { recursive: true, force: true });
});

async function send(bytes: Buffer, name: string, fields: Record<string, string> = {}): Promise<Awaited<ReturnType<typeof removeViaApi>>> {
  const file = path.join(dir, name);
  await fsp.writeFile(file, bytes);
  return removeViaApi(server, file, name, fields);
}

describe("an inner file no cleaner handles is named by its form", () => {
  test("the same file alone is refused naming that form (what the inner refusals must match)", async () => {
    const alone = await send(Buffer.from(NMEA), "track.log");
    expect(alone.status).toBe(422);
    expect(String(alone.body["error"])).toContain("NMEA GPS log");
  });

  test("archive members: refused, or kept with unknownMembers=keep, under the form's name", async () => {
    const zip = handZip([
      { name: "track.log", data: Buffer.from(NMEA), deflate: true },
      { name: "subs.vtt", data: VTT_UTF16 },
    ]);
    const refused = await send(zip, "trip.zip");
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect(refused.body["error"]).toBe("The archive holds members that cannot be cleaned: track.log (NMEA GPS log), subs.vtt (WebVTT in UTF-16 or UTF-32).");
    expect(refused.cleaned).toBeNull();

    const kept = await send(zip, "trip.zip", { unknownMembers: "keep" });
    expect(kept.status, JSON.stringify(kept.body)).toBe(200);
    expect(kept.body["remaining"]).toMatchObject({ members: { "track.log": "kept unchanged (NMEA GPS log)", "subs.vtt": "kept unchanged (WebVTT in UTF-16 or UTF-32)" } });
  });

  test("a PDF's attached file: refused naming the form, nothing handed back", async () => {
    const { file } = await makePdfWithAttachments(dir, MARKER, { inner: Buffer.from(NMEA), nested: false });
    expect(await findMarker(await fsp.readFile(file), MARKER)).not.toEqual([]);
    const { status, body, cleaned } = await removeViaApi(server, file, "report.pdf");
    expect(status).toBe(422);
    expect(body["error"]).toBe("The PDF holds an attached file that cannot be cleaned (NMEA GPS log).");
    expect(cleaned).toBeNull();
  });
});
