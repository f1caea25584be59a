import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { legacyOfficeText, makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { asPowerPointWithoutCompObj } from "./helpers/make-windows-ppt.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { exiftool } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-legacy-program-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** ExifTool's FileType and CompObj user type of a copy without extension, as the service reads it. */
async function identity(file: string): Promise<string> {
  const bare = path.join(dir, `bare-${crypto.randomUUID()}`);
  await fs.copyFile(file, bare);
  return (await exiftool(["-s3", "-FileType", "-CompObjUserType", bare])).trim();
}

describe("POST /api/v1/remove on a PowerPoint 97-2003 file named only by its SummaryInformation", () => {
  // PowerPoint writes no CompObj stream: the Software field is what makes the file a PPT, and it
  // goes with the property set. The copy used to be read as a bare FlashPix file and refused.
  it("comes back a PPT, named by a CompObj stream of its own, without the properties, its slide text as it was", async () => {
    const marker = `Progname${crypto.randomBytes(5).toString("hex")}`;
    const file = await makeMarkedLegacyOffice(dir, "ppt", marker);
    await asPowerPointWithoutCompObj(file, marker);
    expect(await identity(file)).toBe("PPT");
    expect(await findMarker(file, marker)).not.toEqual([]);
    const before = await legacyOfficeText(dir, "ppt", file);
    expect(before).toContain("Hello slide text");

    const { status, body, cleaned } = await removeViaApi(server, file, "slides.ppt");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    const out = path.join(dir, `cleaned-${crypto.randomUUID()}.ppt`);
    await fs.writeFile(out, cleaned!);
    expect(await identity(out)).toBe("PPT\nMicrosoft PowerPoint 97-2003 Presentation");
    expect(await findMarker(out, marker)).toEqual([]);
    expect(await legacyOfficeText(dir, "ppt", out)).toBe(before);
  });
});
