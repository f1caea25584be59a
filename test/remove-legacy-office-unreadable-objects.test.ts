import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { embedObjects, linkedOleStream, type OleObjectSpec, overlongPackageStream } from "./helpers/make-ole-objects.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-legacy-unreadable-objects-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * Objects whose streams the cleaner cannot clean, each naming a folder (`marker` in it) that went
 * back as it was in the object's storage (Word's ObjectPool/_N, Excel's MBDxxxxxxxx).
 */
const objects: Array<[string, (marker: string) => OleObjectSpec, string]> = [
  [
    "a packaged file whose stated length runs past its data",
    (marker) => ({ kind: "streams", userType: "OLE Package", streams: { "\x01Ole10Native": overlongPackageStream("plan.txt", `C:\\Users\\${marker}\\plan.txt`, Buffer.from("plain words\r\n")) } }),
    "OLE Package",
  ],
  [
    "a linked object (its OLE stream names the linked file)",
    (marker) => ({ kind: "streams", userType: "Microsoft Excel Worksheet", streams: { "\x01Ole": linkedOleStream(`C:\\Users\\${marker}\\Budget.xlsx`), "\x03ObjInfo": Buffer.from([0, 0, 3, 0, 4, 0]) } }),
    "Microsoft Excel Worksheet",
  ],
  [
    "an object of a program no cleaner knows",
    (marker) => ({ kind: "streams", userType: "Microsoft Visio Drawing", streams: { VisioDocument: Buffer.from(`Visio (TM) Drawing\r\nC:\\Users\\${marker}\\plan.vsd\0`, "latin1") } }),
    "Microsoft Visio Drawing",
  ],
];

describe.each(["doc", "xls"] as const)("POST /api/v1/remove on a %s holding an object the cleaner cannot clean", (kind) => {
  it.each(objects)("%s: a 422 naming the object's program, never a copy with its folders", async (_name, object, program) => {
    const marker = `ObjectLeak${crypto.randomBytes(5).toString("hex")}`;
    const file = await makeMarkedLegacyOffice(dir, kind, `Outer${marker.slice(-6)}`);
    await embedObjects(file, [object(marker)]);
    expect(await findMarker(file, marker)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, file, `report.${kind}`);
    expect(cleaned == null ? [] : await findMarker(cleaned, marker)).toEqual([]);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe(`The file holds an embedded object (${program}) that this service cannot clean.`);
  }, 60_000);
});

describe("POST /api/v1/remove on a Word 97-2003 document whose root storage bears a name of its writer's", () => {
  // The root's name (31 characters, shown by no reader) went back as it was.
  it("is cleaned under the standard name, Root Entry", async () => {
    const marker = `Root${crypto.randomBytes(5).toString("hex")}`;
    const file = await makeMarkedLegacyOffice(dir, "doc", `Outer${marker.slice(-6)}`);
    const doc = CFB.read(await fs.readFile(file), { type: "buffer" });
    const root = doc.FullPaths[0]!;
    doc.FullPaths = doc.FullPaths.map((p) => (p.startsWith(root) ? `${marker}/${p.slice(root.length)}` : p));
    doc.FileIndex[0]!.name = marker;
    await fs.writeFile(file, CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer);
    expect(await findMarker(file, marker)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, file, "report.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    expect(CFB.read(cleaned!, { type: "buffer" }).FileIndex[0]!.name).toBe("Root Entry");
  }, 60_000);
});
