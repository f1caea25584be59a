import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directoryEntries, entryId, NO_ENTRY, withFreedLeaf, withLink, withName } from "./helpers/compound-links.js";
import { initialsOf, type LegacyKind, legacyOfficeText, makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { findMarker } from "./helpers/marker-scan.js";
import { oleObjectFile, withOleObjects } from "./helpers/make-ole-objects.js";
import { makeOffice } from "./helpers/make-office.js";
import { markedJpeg } from "./helpers/make-pdf.js";
import { HEALTH_MS, REFUSAL_MS, TREE_MB, removeBytesWatched } from "./helpers/quick-refusal.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * A compound file (Word, Excel, PowerPoint 97-2003, an embedded OLE object) whose directory is not
 * one tree hanging from its root storage: the root, or a stream, links to an entry the directory
 * does not hold, so what hangs from that link belongs to no storage. The library the cleaner reads
 * with names such entries by themselves, outside the root: a Word document or workbook was then
 * taken for a document embedded in itself and cleaned within itself until the stack ran out (a
 * 422 "too complex" after 11-14 s of CPU), an OLE object was written back empty (a 200), a Word
 * document with its table stream cut off was a 422 saying its text could not be read. Each is a
 * damaged file, and is told so at once.
 */

const DAMAGED = "The file is not a readable Office 97-2003 document: its compound file structure is damaged.";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-broken-directory-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** `data` removed through the API: a quick 422 with `error`, the service answering, its tree bounded. */
async function expectDamaged(name: string, data: Buffer, error = DAMAGED): Promise<void> {
  const { result, ms, peakTreeMb, slowestHealthMs } = await removeBytesWatched(server, dir, name, data);
  expect(`${result.status} ${String(result.body["error"])}`, name).toBe(`422 ${error}`);
  expect(ms, name).toBeLessThan(REFUSAL_MS);
  expect(peakTreeMb, name).toBeLessThan(TREE_MB);
  expect(slowestHealthMs, name).toBeLessThan(HEALTH_MS);
}

/** An entry id past the end of the directory of `bytes`. */
const pastDirectory = (bytes: Buffer): number => directoryEntries(bytes).length + 100;

describe("a compound file whose directory links to an entry it does not hold", () => {
  it.each<LegacyKind>(["doc", "xls", "ppt"])("%s: its root storage's child missing is a quick 422 saying the file is damaged", async (kind) => {
    const whole = await fs.readFile(await makeMarkedLegacyOffice(dir, kind, `Tree${crypto.randomBytes(5).toString("hex")}`));
    await expectDamaged(`root-child.${kind}`, withLink(whole, "Root Entry", "child", pastDirectory(whole)));
  }, 120_000);

  it("a Word document whose root reaches only its WordDocument stream (table, properties hanging from nothing) is a 422 saying the file is damaged", async () => {
    const whole = await fs.readFile(await makeMarkedLegacyOffice(dir, "doc", `Tree${crypto.randomBytes(5).toString("hex")}`));
    let cut = withLink(whole, "Root Entry", "child", entryId(whole, "WordDocument"));
    cut = withLink(withLink(cut, "WordDocument", "left", NO_ENTRY), "WordDocument", "right", NO_ENTRY);
    await expectDamaged("word-only.doc", cut);
  }, 120_000);

  it("an OLE object, on its own or inside a DOCX, whose root storage's child is missing is a 422, not an empty object", async () => {
    const marker = `Tree${crypto.randomBytes(5).toString("hex")}`;
    const photo = await markedJpeg(dir, `${marker}photo`);
    const object = oleObjectFile({ kind: "packaged", name: "rome.jpg", sourcePath: `C:\\Users\\${marker}\\rome.jpg`, data: photo });
    // The object read through is cleaned: what makes the other a 422 is its directory alone.
    const intact = await removeBytesWatched(server, dir, "intact.bin", object);
    expect(intact.result.status, JSON.stringify(intact.result.body)).toBe(200);
    const broken = withLink(object, "Root Entry", "child", pastDirectory(object));
    await expectDamaged("oleObject1.bin", broken);
    const docx = await makeOffice("docx", marker, await markedJpeg(dir, `${marker}picture`));
    await expectDamaged("report.docx", await withOleObjects(docx.bytes, "word", [broken]));
  }, 120_000);
});

describe("a compound file whose directory links to an unused slot of itself", () => {
  // Apache POI's test file 53446.doc (a 1999 Word document) has its CompObj stream's right
  // sibling pointing at the directory's last slot, which is free: Word, LibreOffice and catdoc read
  // that as no link, and so must the cleaner. A free slot names no stream: nothing hangs from it.
  it("is read as no link: a Word document so linked is cleaned, its text as it was", async () => {
    const marker = `Free${crypto.randomBytes(5).toString("hex")}`;
    const whole = await fs.readFile(await makeMarkedLegacyOffice(dir, "doc", marker));
    // A stream Word can do without (not its text or tables), with no siblings or child: its slot
    // freed, the link that reached it left.
    const needed = ["WordDocument", "0Table", "1Table", "Data"];
    const leaf = directoryEntries(whole).find((e) => whole[e.at + 66] === 2 && !needed.includes(e.name) && [68, 72, 76].every((at) => whole.readUInt32LE(e.at + at) === NO_ENTRY));
    expect(leaf, "an optional stream with no links").toBeDefined();
    const file = path.join(dir, "free-slot.doc");
    await fs.writeFile(file, withFreedLeaf(whole, leaf!.name));
    const before = await legacyOfficeText(dir, "doc", file);
    expect(before).toContain("Hello body text of the document");

    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    const copy = path.join(dir, "free-slot-cleaned.doc");
    await fs.writeFile(copy, cleaned!);
    // Blanked in place, as in any Word document: spaces where the comment and the deleted words were.
    const words = (t: string): string => t.replace(/\s+/gu, " ").trim();
    expect(words(await legacyOfficeText(dir, "doc", copy))).toBe(words(before.replace("deleted words", "").replace("A remark", "")));
    expect(cleaned!.includes(Buffer.from(initialsOf(marker), "utf16le"))).toBe(false);
  }, 120_000);
});

describe("a compound file whose entry's name holds a slash", () => {
  // [MS-CFB] 2.6.1 forbids "/" in a name; the library the cleaner writes with builds paths from
  // names, and a root named "R/ot Entry" (one bit flipped by the fuzz test) sent it looping
  // forever: the request ran into its deadline, a worker busy all that time.
  it.each<[LegacyKind, string, string]>([
    ["xls", "Root Entry", "R/ot Entry"],
    ["doc", "WordDocument", "Word/ocument"],
  ])("%s: an entry named %j as %j is a quick 422 saying the file is damaged", async (kind, name, renamed) => {
    const whole = await fs.readFile(await makeMarkedLegacyOffice(dir, kind, `Slash${crypto.randomBytes(5).toString("hex")}`));
    await expectDamaged(`slash.${kind}`, withName(whole, name, renamed));
  }, 120_000);
});
