import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { libreOfficeText, makeReviewedDoc, openWord, pieceText, withPieces } from "./helpers/make-doc-review.js";
import { findMarker } from "./helpers/marker-scan.js";
import { expectQuickRefusal } from "./helpers/quick-refusal.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/**
 * Word's fast saves lay out text whose pieces read the same bytes: a table row pasted again, the
 * final paragraph mark (Apache POI's o_kurs.doc, ob_is.doc and Bug33519.doc). Such a document is
 * cleaned, not refused; text that shows elsewhere stays, what is hidden alone goes; a piece
 * table claiming far more text than its stream holds is refused at once.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-doc-shared-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

function markers(): { comment: string; author: string; deleted: string; inserted: string } {
  const r = (what: string): string => `Docshared${what}${crypto.randomBytes(4).toString("hex")}`;
  return { comment: r("comment"), author: r("author"), deleted: r("deleted"), inserted: r("inserted") };
}

/** The bytes of `text` as a DOC may hold it: UTF-16 or 8-bit. */
const held = (bytes: Buffer, text: string): boolean => bytes.includes(Buffer.from(text, "utf16le")) || bytes.includes(Buffer.from(text, "latin1"));

async function save(bytes: Buffer, name: string): Promise<string> {
  const file = path.join(dir, `${crypto.randomUUID()}-${name}`);
  await fs.writeFile(file, bytes);
  return file;
}

describe("POST /api/v1/remove on Word 97-2003 documents whose pieces share bytes", () => {
  it("the final paragraph mark read from an earlier one's bytes, as Word's fast save writes it: 200, review content gone, the final text as written", async () => {
    const m = markers();
    const { file, fixture } = await makeReviewedDoc(dir, "docx", m);
    const text = pieceText(await openWord(file));
    expect(text.endsWith("\r")).toBe(true);
    const earlier = text.lastIndexOf("\r", text.length - 2);
    expect(earlier).toBeGreaterThan(0);
    const shared = await save(await withPieces(file, [{ cps: text.length - 1, source: 0 }, { cps: 1, source: earlier }]), "fast-saved.doc");
    // The construction is sound: LibreOffice reads the same text from it.
    expect(await libreOfficeText(dir, shared)).toBe(await libreOfficeText(dir, file));

    const { status, body, cleaned } = await removeViaApi(server, shared, "fast-saved.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(body["removed"]).toMatchObject({ comments: 1 });
    for (const marker of [m.comment, m.deleted, m.author]) expect(await findMarker(cleaned!, marker), marker).toEqual([]);
    expect(held(cleaned!, m.inserted)).toBe(true);
    expect(await libreOfficeText(dir, await save(cleaned!, "cleaned.doc"))).toBe(fixture.finalText.join(" "));
  }, 120_000);

  it("main text reading a comment's first characters: the comment blanked but what the main text shows of it, 200", async () => {
    const m = markers();
    const { file, fixture } = await makeReviewedDoc(dir, "docx", m);
    const text = pieceText(await openWord(file));
    const alpha = text.indexOf("Alpha");
    const comment = text.indexOf(m.comment);
    expect(alpha).toBeGreaterThanOrEqual(0);
    expect(comment).toBeGreaterThan(alpha);
    // "Alpha" now reads the bytes of the comment's first five characters: a passage pasted from the comment.
    const pieces = [
      { cps: alpha, source: 0 },
      { cps: 5, source: comment },
      { cps: text.length - alpha - 5, source: alpha + 5 },
    ].filter((p) => p.cps > 0);
    const shared = await save(await withPieces(file, pieces), "pasted.doc");
    const shown = m.comment.slice(0, 5);
    const expected = fixture.finalText.join(" ").replace("Alpha", shown);
    expect((await libreOfficeText(dir, shared)).startsWith(`${shown} `)).toBe(true);

    const { status, body, cleaned } = await removeViaApi(server, shared, "pasted.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["removed"]).toMatchObject({ comments: 1 });
    // The comment's own characters are gone; the five the main text shows stay where both read them.
    for (const marker of [m.comment, m.deleted, m.author]) expect(await findMarker(cleaned!, marker), marker).toEqual([]);
    expect(held(cleaned!, m.comment.slice(5))).toBe(false);
    expect(await libreOfficeText(dir, await save(cleaned!, "cleaned.doc"))).toBe(expected);
  }, 120_000);

  it("a piece table reading its text a hundred thousand times over (150 million characters from a 1.2 MB file; 26 s without a bound): a quick 422, the service answering", async () => {
    const { file } = await makeReviewedDoc(dir, "odt", markers());
    const w = await openWord(file);
    const start = w.table.readUInt32LE(w.word.readUInt32LE(w.pair(33)) + 5 + 8 + 2);
    const cps = w.word.length - start;
    const bytes = await withPieces(file, Array.from({ length: 100_000 }, () => ({ cps, source: 0, compressed: true })));
    expect(bytes.length).toBeLessThan(2_000_000);
    await expectQuickRefusal(server, dir, "amplified.doc", bytes);
  }, 120_000);
});
