import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import { DNG, makeDng } from "./helpers/make-raw.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { ROOT, startServer, type RunningServer } from "./helpers/server.js";
import { exiftool, run } from "./helpers/tools.js";

/**
 * Cameras write fixed-size text fields and leave what their buffer held after the terminating
 * zero; ExifTool copies a field it keeps byte for byte, so a serial number there survived the
 * removal of the serial number field itself.
 */

const MARKER = "TermSerial_Qv83Lx";
const DCRAW = "/usr/bin/dcraw";

let server: RunningServer;
let tmp: string;

beforeAll(async () => {
  server = await startServer();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), "raw-terminator-"));
});

afterAll(async () => {
  await server.stop();
  await fs.rm(tmp, { recursive: true, force: true });
});

/** The first value ExifTool reads for `tag` (a maker note may repeat a field in a sub-directory). */
async function read(file: string, tag: string): Promise<string> {
  return (await exiftool(["-s3", tag, file])).split("\n")[0]!.trim();
}

async function removed(input: string, dir: string): Promise<string> {
  const { status, body, cleaned } = await removeViaApi(server, input);
  expect(status, JSON.stringify(body)).toBe(200);
  const output = path.join(dir, `clean${path.extname(input)}`);
  await fs.writeFile(output, cleaned!);
  return output;
}

describe("personal values past a text field's terminator in camera raws", () => {
  it("a DNG whose Make field holds the serial number after its terminator: gone, Make and the picture unchanged", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "dng-"));
    // The generator writes SerialNumber=MARKER; the Make field reads "Exifapi" and carries MARKER after its zero.
    const input = await makeDng(dir, MARKER, { ...DNG, make: `Exifapi\0${MARKER}` });
    expect(await read(input, "-IFD0:Make")).toBe("Exifapi");
    expect(await read(input, "-ExifIFD:SerialNumber")).toBe(MARKER);

    const output = await removed(input, dir);
    expect(await findMarker(output, MARKER)).toEqual([]);
    expect(await read(output, "-IFD0:Make")).toBe("Exifapi");
    const render = async (f: string): Promise<Buffer> => (await run(DCRAW, ["-4", "-c", f])).stdout;
    expect((await render(output)).equals(await render(input))).toBe(true);
  });

  it("a Leaf Credo 40 IIQ (ExifTool's sample) whose System field holds the back's serial number after its name: gone", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "iiq-"));
    const input = path.join(dir, "PhaseOne.iiq");
    await fs.copyFile(path.join(ROOT, "test/fixtures/raw/PhaseOne.iiq"), input);
    const serial = await read(input, "-MakerNotes:SerialNumber");
    expect(serial).toMatch(/^\w{6,}$/);

    const output = await removed(input, dir);
    expect(await findMarker(output, serial)).toEqual([]);
    expect(await read(output, "-MakerNotes:System")).toBe(await read(input, "-MakerNotes:System"));
    expect(await read(output, "-ImageDataHash")).toBe(await read(input, "-ImageDataHash"));
  });

  it("a serial number that is also the camera's model name: the model stays, the file is cleaned", async () => {
    const dir = await fs.mkdtemp(path.join(tmp, "same-"));
    const input = await makeDng(dir, MARKER, { ...DNG, make: MARKER });
    const output = await removed(input, dir);
    expect(await read(output, "-IFD0:Make")).toBe(MARKER);
    expect(await read(output, "-ExifIFD:SerialNumber")).toBe("");
    expect(await read(output, "-ImageDataHash")).toBe(await read(input, "-ImageDataHash"));
  });
});
