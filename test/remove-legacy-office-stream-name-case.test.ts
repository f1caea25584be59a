import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LegacyKind, initialsOf, legacyOfficeText, makeMarkedLegacyOffice, writeCompound } from "./helpers/make-legacy-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * [MS-CFB] 2.6.4 compares the names of a compound file's entries in upper case, and Word opens a
 * document whose streams are named "worddocument" or "WORDDOCUMENT" (Apache Tika's samples
 * casing__simple_lower_case.doc and casing__simple_upper_case.doc). The cleaner looked its
 * streams up by their exact names: it blanked nothing, and the final-text check's reader
 * (word-extractor) found no WordDocument stream: 422 "The document's text could not be read."
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-stream-name-case-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** LibreOffice's marked document with every entry's name (the root's too) in another case. */
async function renamed(kind: LegacyKind, marker: string, recase: (name: string) => string): Promise<string> {
  const doc = CFB.read(await fs.readFile(await makeMarkedLegacyOffice(dir, kind, marker)), { type: "buffer" });
  doc.FullPaths = doc.FullPaths.map(recase);
  return writeCompound(dir, doc, `recased.${kind}`);
}

/** The names of the root's streams as the file spells them. */
async function rootNames(file: string): Promise<string[]> {
  const doc = CFB.read(await fs.readFile(file), { type: "buffer" });
  return doc.FullPaths.slice(1).map((p) => p.slice(doc.FullPaths[0]!.length));
}

/** Word's spelling of the names a Word document's text is read through. */
const WORD_SPELLING = new Map(["Root Entry", "WordDocument", "0Table", "1Table", "Data"].map((n) => [n.toUpperCase(), n]));

/** The text of a Word document whose streams are named in any case: a copy named as Word writes them, read by catdoc. */
async function wordText(file: string): Promise<string> {
  const doc = CFB.read(await fs.readFile(file), { type: "buffer" });
  doc.FullPaths = doc.FullPaths.map((p) => p.split("/").map((part) => WORD_SPELLING.get(part.toUpperCase()) ?? part).join("/"));
  return legacyOfficeText(dir, "doc", await writeCompound(dir, doc, "named-as-word.doc"));
}

describe("a Word 97-2003 document whose streams are named in another case", () => {
  const cases = [
    { what: "lower case (worddocument, 1table)", recase: (s: string) => s.toLowerCase(), stream: "worddocument" },
    { what: "upper case (WORDDOCUMENT, 1TABLE)", recase: (s: string) => s.toUpperCase(), stream: "WORDDOCUMENT" },
  ];
  it.each(cases)("in $what is cleaned: its properties and authors gone, its text the same", async ({ recase, stream }) => {
    const marker = `Casing${crypto.randomBytes(5).toString("hex")}`;
    const file = await renamed("doc", marker, recase);
    expect(await rootNames(file)).toContain(stream);
    expect(await findMarker(file, marker)).not.toEqual([]);
    const before = await wordText(file);
    expect(before).toContain("Hello body text of the document");

    const { status, body, cleaned } = await removeViaApi(server, file, "report.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    // Found through the table stream, whatever its case: the comment and the tracked deletion.
    expect(Object.keys(body["removed"] as object)).toEqual(expect.arrayContaining(["comments", "trackedChanges"]));
    const out = path.join(dir, `cleaned-${crypto.randomUUID()}.doc`);
    await fs.writeFile(out, cleaned!);
    // The property sets, the saved-by list, the comment and revision authors: none is left.
    expect(await findMarker(out, marker)).toEqual([]);
    expect(cleaned!.includes(Buffer.from(initialsOf(marker), "utf16le"))).toBe(false);
    expect(await rootNames(out)).toContain(stream);
    // Blanked in place: spaces where the comment and the deleted words were, the rest the same.
    const words = (t: string): string => t.replace(/\s+/gu, " ").trim();
    expect(words(await wordText(out))).toBe(words(before.replace("deleted words", "").replace("A remark", "")));
  }, 180_000);

  it("that names two streams the same but for their case is refused as damaged: readers disagree on which one they open", async () => {
    const marker = `Twice${crypto.randomBytes(5).toString("hex")}`;
    const doc = CFB.read(await fs.readFile(await makeMarkedLegacyOffice(dir, "doc", marker)), { type: "buffer" });
    const word = CFB.find(doc, "WordDocument")!;
    doc.FileIndex.push({ ...word, name: "worddocument", content: Buffer.from(word.content) } as CFB.CFB$Entry);
    doc.FullPaths.push(`${doc.FullPaths[0]}worddocument`);
    const file = await writeCompound(dir, doc, "twice.doc");
    expect(await rootNames(file)).toEqual(expect.arrayContaining(["WordDocument", "worddocument"]));

    const { status, body } = await removeViaApi(server, file, "twice.doc");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The file is not a readable Office 97-2003 document: its compound file structure is damaged.");
  }, 120_000);
});
