import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handZip } from "./helpers/make-archives.js";
import { makeMarkedJpeg, makeOffice, type OfficeKind } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * A ZIP-based file with a few bytes after its end (a line feed a transfer added: Apache POI's
 * bug62513.pptx, stress005.docx and three more of its samples end so), which unzip, Office and
 * LibreOffice open, was refused as "not a readable ZIP archive". It is cleaned as the archive it
 * is, the bytes after it left out of the copy. Past the window in which an archive's end is
 * looked for (its comment's 64 KB), a file stays refused.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-zip-trailing-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const EOCD = Buffer.from("504b0506", "hex");

async function save(bytes: Buffer, name: string): Promise<string> {
  const file = path.join(dir, `${crypto.randomUUID()}-${name}`);
  await fs.writeFile(file, bytes);
  return file;
}

describe("POST /api/v1/remove on ZIP-based files with bytes after the archive", () => {
  const cases: Array<{ kind: OfficeKind; tail: string }> = [
    { kind: "docx", tail: "\n" },
    { kind: "pptx", tail: "\r\n" },
    { kind: "odt", tail: "\n" },
  ];

  it.each(cases)("$kind followed by $tail: 200, the marker gone, the body as the same file's without them, the copy ending with its archive", async ({ kind, tail }) => {
    const marker = `Ztrail${crypto.randomBytes(5).toString("hex")}`;
    const { bytes, bodyPart } = await makeOffice(kind, marker, await makeMarkedJpeg(dir, marker));
    const file = await save(Buffer.concat([bytes, Buffer.from(tail, "latin1")]), `trailing.${kind}`);
    // unzip reads it, saying what is after the archive.
    expect((await run("unzip", ["-tq", file])).stdout.toString()).toContain("No errors detected");

    const extract = await postFile(`${server.baseUrl}/api/v1/extract`, { name: `trailing.${kind}`, data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey } });
    expect(extract.status).toBe(200);
    expect(JSON.stringify(await extract.json())).toContain(marker);

    const { status, body, cleaned } = await removeViaApi(server, file, `trailing.${kind}`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    // The body as the cleaner makes it of the same file without the bytes after it.
    const plain = await removeViaApi(server, await save(bytes, `plain.${kind}`), `plain.${kind}`);
    expect(plain.status).toBe(200);
    const part = async (b: Buffer): Promise<Buffer | undefined> => (await readZip(b)).members.find((m) => m.name === bodyPart)?.data;
    expect(await part(cleaned!)).toEqual(await part(plain.cleaned!));
    // The copy ends with its end-of-central-directory record, of no comment.
    expect(cleaned!.subarray(cleaned!.length - 22, cleaned!.length - 18)).toEqual(EOCD);
    expect(cleaned!.readUInt16LE(cleaned!.length - 2)).toBe(0);
  }, 120_000);

  it("a ZIP archive followed by a line feed: 200, its JPEG's marker gone", async () => {
    const marker = `Ztrail${crypto.randomBytes(5).toString("hex")}`;
    const plainJpeg = await makeMarkedJpeg(dir, "Ztrailother");
    const archive = handZip([{ name: "photo.jpg", data: await makeMarkedJpeg(dir, marker) }, { name: "other.jpg", data: plainJpeg }]);
    const file = await save(Buffer.concat([archive, Buffer.from("\n")]), "trailing.zip");
    const { status, body, cleaned } = await removeViaApi(server, file, "trailing.zip");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    expect((await readZip(cleaned!)).members.map((m) => m.name).sort()).toEqual(["other.jpg", "photo.jpg"]);
  }, 120_000);

  it("a DOCX followed by 70 KB of other bytes, past where an archive's end is looked for: 422 in words", async () => {
    const { bytes } = await makeOffice("docx", "Ztrailfar", await makeMarkedJpeg(dir, "Ztrailfar"));
    const file = await save(Buffer.concat([bytes, crypto.randomBytes(70_000)]), "far.docx");
    const { status, body } = await removeViaApi(server, file, "far.docx");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The file is not a readable ZIP archive.");
  }, 120_000);
});
