import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docxParts, makeMarkedJpeg, zip } from "./helpers/make-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { readZip } from "./helpers/read-archives.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { savedIn } from "./helpers/saved.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * An XLSB whose note relationship had its Target attribute's name damaged ("Tazget", one flipped
 * bit, found by the fuzz test) came back with its notes part whole: no relationship led to it,
 * so the cleaner never took it for notes, and copied it as a part of unknown use. A part whose
 * content type is one of comments now goes with the comments whatever leads to it.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-comments-without-relationship-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function documentOf(docx: Buffer): Promise<string> {
  const { members } = await readZip(docx);
  return members.find((m) => m.name === "word/document.xml")!.data.toString("utf8");
}

describe("POST /api/v1/remove on an Office package whose comments part no relationship names", () => {
  it("a DOCX whose comments relationship lost its Target keeps neither the comments part nor what it holds", async () => {
    const marker = `Unreached${crypto.randomBytes(5).toString("hex")}`;
    const parts = docxParts(marker, await makeMarkedJpeg(dir, `NoOne${crypto.randomBytes(3).toString("hex")}`));
    const whole = await removeViaApi(server, await savedIn(dir, "whole.docx", await zip(parts)));
    expect(whole.status, JSON.stringify(whole.body)).toBe(200);
    expect(await findMarker(whole.cleaned!, marker)).toEqual([]);

    const damaged = parts.map(([name, data]): [string, string | Buffer] =>
      name === "word/_rels/document.xml.rels" ? [name, String(data).replace('Target="comments.xml"', 'Tazget="comments.xml"')] : [name, data],
    );
    expect(String(damaged.find(([n]) => n === "word/_rels/document.xml.rels")![1])).toContain("Tazget");
    const { status, body, cleaned } = await removeViaApi(server, await savedIn(dir, "damaged.docx", await zip(damaged)));
    expect(status, JSON.stringify(body)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const names = (await readZip(cleaned!)).members.map((m) => m.name);
    expect(names).not.toContain("word/comments.xml");
    expect(names).toContain("word/media/image1.jpeg");
    expect(await documentOf(cleaned!)).toBe(await documentOf(whole.cleaned!));
  }, 120_000);
});
