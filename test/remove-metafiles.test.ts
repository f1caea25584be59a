import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeEmf, makeWmf } from "./helpers/make-legacy-pictures.js";
import { soffice } from "./helpers/make-legacy-office.js";
import { makeMarkedJpeg, makeOffice, zip } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";
import { CONVERT, run } from "./helpers/tools.js";

const MARKER = "MFZQ7";
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  server = await startServer();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-metafiles-"));
});

afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The drawing as LibreOffice draws it (ImageMagick reads neither format), as a pixel signature. */
async function drawn(name: string, bytes: Buffer): Promise<string> {
  const work = await fs.mkdtemp(path.join(dir, "draw-"));
  const file = path.join(work, name);
  await fs.writeFile(file, bytes);
  await soffice(work, ["--convert-to", "png", "--outdir", work, file]);
  return (await run(CONVERT, [path.join(work, `${path.parse(name).name}.png`), "-format", "%#", "info:"])).stdout.toString().trim();
}

describe("EMF and WMF drawings", () => {
  const drawings: Array<[string, Buffer, number]> = [
    // The description (program and picture name), a private comment and a comment group's description.
    ["drawing.emf", makeEmf(MARKER), 3],
    ["drawing.wmf", makeWmf(MARKER), 1],
  ];

  it.each(drawings)("%s on its own: texts gone, every drawing record kept, the same picture drawn", async (name, original, texts) => {
    expect(await findMarker(original, MARKER)).not.toEqual([]);
    const file = path.join(dir, name);
    await fs.writeFile(file, Buffer.concat([original, Buffer.from(`${MARKER} after the end`)]));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["removed"]).toEqual({ metafileText: texts });
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    // Only texts became zeros (a blanked private comment is marked "zeRo"): the same length, and
    // every byte that differs is a zero now.
    expect(cleaned!.length).toBe(original.length);
    const zeroed = Buffer.from(cleaned!.toString("latin1").replaceAll("zeRo", "\0\0\0\0"), "latin1");
    for (let i = 0; i < original.length; i++) if (zeroed[i] !== original[i]) expect(zeroed[i], `byte ${i}`).toBe(0);
    expect(await drawn(`copy-${name}`, cleaned!)).toBe(await drawn(name, original));
  });

  it("a damaged drawing is a 422 with its reason", async () => {
    const emf = makeEmf(MARKER);
    emf.writeUInt32LE(0x7fff0000, 108 + 4 + (emf.readUInt32LE(4) - 108));
    const file = path.join(dir, "damaged.emf");
    await fs.writeFile(file, emf.subarray(0, emf.readUInt32LE(4) + 12));
    const { status, body } = await removeViaApi(server, file);
    expect(status).toBe(422);
    expect(body["error"]).toBe("The drawing (EMF or WMF) is damaged: its records could not be read through.");
  });

  it("in a DOCX's media folder (Word stores pasted drawings so): cleaned, no longer a reason to refuse the document", async () => {
    const docx = await readZip((await makeOffice("docx", MARKER, await makeMarkedJpeg(dir, MARKER))).bytes);
    const parts = docx.members.filter((m) => !m.name.endsWith("/")).map((m): [string, Buffer] => [m.name, m.data]);
    parts.push(["word/media/image2.emf", makeEmf(MARKER)], ["word/media/image3.wmf", makeWmf(MARKER)]);
    const file = path.join(dir, "drawings.docx");
    await fs.writeFile(file, await zip(parts));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect((body["removed"] as Record<string, number>)["metafileText"]).toBe(4);
    expect(await findMarker(cleaned!, MARKER)).toEqual([]);
    const after = new Map((await readZip(cleaned!)).members.map((m) => [m.name, m.data]));
    expect(after.get("word/media/image2.emf")?.length).toBe(makeEmf(MARKER).length);
    expect(after.get("word/media/image3.wmf")?.length).toBe(makeWmf(MARKER).length);
  });
});
