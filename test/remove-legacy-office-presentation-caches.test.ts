import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { dibBlip, makeWmf } from "./helpers/make-legacy-pictures.js";
import { drawn } from "./helpers/make-metafile-records.js";
import { embedObjects } from "./helpers/make-ole-objects.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { findingsViaApi, type ReportedFinding, type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, run } from "./helpers/tools.js";

/*
 * An embedded object's presentation cache (`\x02OlePresNNN`: the picture a document shows of the
 * object) went back as it was: the target device it was drawn for (the printer driver, a network
 * printer's name with its print server, the port, the printer's settings), the comments of its WMF
 * and the colour profile of its bitmap, a path on the author's disk when linked. The device goes
 * now (the findings name its printer), and the picture is cleaned as the document's other
 * pictures are.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-presentation-caches-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const CF_METAFILEPICT = 3;
const CF_DIB = 8;

/**
 * A DVTARGETDEVICE ([MS-OLEDS] 2.3.4 with Wine's reading: its size counts its own four bytes):
 * four offsets, the driver, printer and port names, then a DEVMODEA naming the printer again.
 */
function targetDevice(printer: string): Buffer {
  const names = Buffer.from(`winspool\0${printer}\0Ne01:\0`, "latin1");
  const devmode = Buffer.alloc(156);
  devmode.write(printer.slice(0, 31), 0, "latin1");
  devmode.writeUInt16LE(0x0401, 32);
  devmode.writeUInt16LE(156, 36);
  const device = Buffer.alloc(12 + names.length + devmode.length);
  device.writeUInt32LE(device.length, 0);
  const driverAt = 12;
  const printerAt = driverAt + "winspool".length + 1;
  const portAt = printerAt + printer.length + 1;
  device.writeUInt16LE(driverAt, 4);
  device.writeUInt16LE(printerAt, 6);
  device.writeUInt16LE(portAt, 8);
  device.writeUInt16LE(12 + names.length, 10);
  names.copy(device, 12);
  devmode.copy(device, 12 + names.length);
  return device;
}

/** A presentation stream of a standard clipboard format, drawn for `printer`, holding `data`. */
function presentationStream(format: number, printer: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(0xffffffff, 0);
  head.writeUInt32LE(format, 4);
  const fields = Buffer.alloc(28);
  fields.writeUInt32LE(1, 0);
  fields.writeInt32LE(-1, 4);
  fields.writeUInt32LE(2, 8);
  fields.writeUInt32LE(2540, 16);
  fields.writeUInt32LE(1905, 20);
  fields.writeUInt32LE(data.length, 24);
  return Buffer.concat([head, targetDevice(printer), fields, data, Buffer.alloc(4)]);
}

/** The cleaned copy's presentation streams, read as the test built them: the device's size and the picture. */
function caches(bytes: Buffer): Array<{ deviceSize: number; data: Buffer }> {
  const doc = CFB.read(bytes, { type: "buffer" });
  return doc.FileIndex.filter((e) => e.type === 2 && e.name === "\x02OlePres000" && e.content != null).map((e) => {
    const b = Buffer.from(e.content);
    const deviceSize = b.readUInt32LE(8);
    const dataAt = 8 + deviceSize + 28;
    return { deviceSize, data: b.subarray(dataAt, dataAt + b.readUInt32LE(dataAt - 4)) };
  });
}

describe("POST /api/v1/remove on Office 97-2003 documents whose embedded objects have presentation caches", () => {
  for (const kind of ["doc", "xls"] as const) {
    it(`${kind.toUpperCase()}: the caches lose the printer they were drawn for, their WMF's comments and their bitmap's linked profile; both draw the same`, async () => {
      const marker = `PresCache${crypto.randomBytes(5).toString("hex")}`;
      const printer = `\\\\${marker}\\Floor2`;
      const wmf = makeWmf(marker);
      const bmpFile = path.join(dir, `${marker}.bmp`);
      await run(CONVERT, ["-seed", "3", "-size", "64x48", "plasma:fractal", "-depth", "8", `BMP:${bmpFile}`]);
      const bmp = await fs.readFile(bmpFile);
      const dib = dibBlip(bmp, "LINK", Buffer.from(`C:\\Users\\${marker}\\camera.icc\0`, "latin1")).payload.subarray(1);
      const file = await makeMarkedLegacyOffice(dir, kind, `Outer${crypto.randomBytes(4).toString("hex")}`);
      await embedObjects(file, [
        { kind: "streams", userType: "Equation.3", streams: { "Equation Native": Buffer.alloc(28), "\x02OlePres000": presentationStream(CF_METAFILEPICT, printer, wmf) } },
        { kind: "streams", userType: "Equation.3", streams: { "Equation Native": Buffer.alloc(28), "\x02OlePres000": presentationStream(CF_DIB, printer, dib) } },
      ]);
      expect(await findMarker(file, marker)).not.toEqual([]);

      const { status, body, cleaned } = await removeViaApi(server, file, `objects.${kind}`);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(await findMarker(cleaned!, marker)).toEqual([]);
      // The original's findings name the printer; the copy's have nothing of it.
      expect((body["findings"] as ReportedFinding[]).find((f) => f.kind === "device" && /drawn for/.test(f.title))?.value).toBe(printer);
      expect((await findingsViaApi(server, `objects.${kind}`, cleaned!)).some((f) => /drawn for/.test(f.title))).toBe(false);
      expect((body["removed"] as Record<string, number>)["metafileText"]).toBeGreaterThanOrEqual(1);
      const [picture, bitmap] = caches(cleaned!);
      expect([picture!.deviceSize, bitmap!.deviceSize]).toEqual([4, 4]);
      expect(await drawn(dir, "after.wmf", picture!.data)).toBe(await drawn(dir, "before.wmf", makeWmf(marker)));
      // The bitmap's pixels (after its V5 header, to its end) are the same bytes.
      const pixelsAt = bmp.readUInt32LE(10) - 14;
      expect(bitmap!.data.subarray(pixelsAt, bmp.length - 14).equals(dib.subarray(pixelsAt, bmp.length - 14))).toBe(true);
    }, 120_000);
  }
});
