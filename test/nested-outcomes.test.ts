import crypto from "node:crypto";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeOffice } from "./helpers/make-office.js";
import { makeJpeg } from "./helpers/make-images.js";
import { makePdfWithAttachments } from "./helpers/make-pdf.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi, type RemoveOutcome } from "./helpers/remove-api.js";
import { startServer, type RunningServer } from "./helpers/server.js";

/*
 * Files inside files, through the API: what an inner file had removed shows in the outer file's
 * `removed` (counted as the same photo removed on its own counts it), and `remaining` is empty
 * only when every level is clean: what `keep` left in an inner file is listed too.
 */

const MARKER = "NESTmark7731";
const ICC_MARKER = "NESTicc4410";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "nested-outcomes-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fsp.rm(dir, { recursive: true, force: true });
});

async function removeBytes(bytes: Buffer, name: string, fields: Record<string, string> = {}): Promise<RemoveOutcome> {
  const file = path.join(dir, `${crypto.randomUUID()}-${name}`);
  await fsp.writeFile(file, bytes);
  return removeViaApi(server, file, name, fields);
}

function removedOf(o: RemoveOutcome): Record<string, number> {
  expect(o.status, JSON.stringify(o.body)).toBe(200);
  return o.body["removed"] as Record<string, number>;
}

describe("nested files' outcomes", () => {
  test("a DOCX with an embedded photo counts the photo's removed EXIF, IPTC, XMP and ICC tags with its own, and nothing remains at any level", async () => {
    const photo = await fsp.readFile(await makeJpeg(dir, MARKER));
    const alone = removedOf(await removeBytes(photo, "photo.jpg"));
    expect(alone["exif"]).toBeGreaterThan(5);

    const docx = await removeBytes((await makeOffice("docx", MARKER, photo)).bytes, "report.docx");
    const removed = removedOf(docx);
    // The DOCX has no EXIF, IPTC or ICC of its own: all of these are the photo's. Its core
    // properties read as XMP, so its XMP count is the photo's and its own.
    for (const group of ["exif", "iptc", "icc_profile"]) expect(removed[group], group).toBe(alone[group]);
    expect(removed["xmp"]).toBeGreaterThan(alone["xmp"]!);
    expect(docx.body["remaining"]).toEqual({});
    expect(await findMarker(docx.cleaned!, MARKER)).toEqual([]);
  });

  test("with keep=colorProfile, the photo's kept profile inside the DOCX is listed in the DOCX's remaining", async () => {
    const photo = await fsp.readFile(await makeJpeg(dir, MARKER, { icc: ICC_MARKER }));
    const alone = await removeBytes(photo, "photo.jpg", { keep: "colorProfile" });
    expect(alone.status).toBe(200);
    const aloneRemaining = alone.body["remaining"] as Record<string, unknown>;
    expect(Object.keys(aloneRemaining).map((g) => g.toLowerCase())).toContain("icc_profile");

    const docx = await removeBytes((await makeOffice("docx", MARKER, photo)).bytes, "report.docx", { keep: "colorProfile" });
    expect(docx.status).toBe(200);
    expect(docx.body["remaining"]).toEqual(aloneRemaining);
    expect(await findMarker(docx.cleaned!, ICC_MARKER)).not.toEqual([]);
  });

  test("a PDF with an attached photo counts the photo's removed EXIF tags with its own", async () => {
    const { file, photo } = await makePdfWithAttachments(dir, MARKER, { nested: false });
    const alone = removedOf(await removeViaApi(server, photo, "holiday.jpg"));
    expect(alone["exif"]).toBeGreaterThan(0);
    const pdf = await removeViaApi(server, file, "report.pdf");
    const removed = removedOf(pdf);
    expect(removed["exif"]).toBe(alone["exif"]);
    expect(removed["attachments"]).toBeGreaterThanOrEqual(1);
    expect(pdf.body["remaining"]).toEqual({});
  });
});
