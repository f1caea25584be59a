import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cjkMarker,
  libreOfficeRevisions,
  libreOfficeText,
  makeCjkReviewedDoc,
  makeDocWithDeletedPicture,
  makeReviewedDoc,
  openWord,
  type PlantedDates,
  withCompressedTail,
  withLoopingWordChain,
  withPlantedRevisions,
  withPrcInsertion,
  withStyleTraces,
} from "./helpers/make-doc-review.js";
import { makePng } from "./helpers/make-images.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, postFile, startServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-doc-review-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

function markers(tag: string): { comment: string; author: string; deleted: string; inserted: string } {
  const r = (what: string): string => `Doc${tag}${what}${crypto.randomBytes(4).toString("hex")}`;
  return { comment: r("comment"), author: r("author"), deleted: r("deleted"), inserted: r("inserted") };
}

interface Finding {
  kind: string;
  title: string;
  value?: string;
}

async function findingsOf(file: string | Buffer): Promise<Finding[]> {
  const data = typeof file === "string" ? await fs.readFile(file) : file;
  const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "document.doc", data }, { headers: { "X-API-Key": server.apiKey } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { findings: Finding[] }).findings;
}

const review = (f: readonly Finding[]): string[] => f.filter((x) => x.kind === "hidden" && /review comment|tracked change/.test(x.title)).map((x) => x.title);

/** The bytes of `text` as a DOC may hold it: UTF-16 or 8-bit. */
const held = (bytes: Buffer, text: string): boolean => bytes.includes(Buffer.from(text, "utf16le")) || bytes.includes(Buffer.from(text, "latin1"));

/**
 * A date as Word's DTTM ([MS-DOC] 2.9.70: minutes, hours, day, month, years since 1900, weekday
 * packed in 32 bits), the form revision marks carry their date in.
 */
function dttm(iso: string): Buffer {
  const d = new Date(iso);
  const v = d.getUTCMinutes() | (d.getUTCHours() << 6) | (d.getUTCDate() << 11) | ((d.getUTCMonth() + 1) << 16) | ((d.getUTCFullYear() - 1900) << 20) | (d.getUTCDay() << 29);
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}

async function save(bytes: Buffer, name: string): Promise<string> {
  const file = path.join(dir, `${crypto.randomUUID()}-${name}`);
  await fs.writeFile(file, bytes);
  return file;
}

describe("POST /api/v1/remove on Word 97-2003 documents under review", () => {
  // The DOCX holds a comment, deleted text in a paragraph, a paragraph deleted whole, text moved
  // away, a deleted table row (4 deletions: LibreOffice writes the move as a deletion), inserted
  // text and text moved here (2 insertions: the move as an insertion), a run made bold (a
  // character property revision); LibreOffice does not carry its paragraph, section and row
  // property changes into the DOC. The ODT: a comment, a deletion, an insertion, a format change,
  // and Track Changes on.
  const cases = [
    { from: "docx" as const, comments: 1, deletions: 4, insertions: 2, tracking: false },
    { from: "odt" as const, comments: 1, deletions: 1, insertions: 1, tracking: true },
  ];

  it.each(cases)("$from -> DOC: comment and deleted text blanked in place, insertions and format changes accepted, tracking off, the final text as written by hand", async ({ from, comments, deletions, insertions, tracking }) => {
    const m = markers(from);
    const { file, fixture } = await makeReviewedDoc(dir, from, m);
    const original = await fs.readFile(file);
    for (const marker of [m.comment, m.deleted, m.author, m.inserted]) expect(held(original, marker), marker).toBe(true);
    const before = await findingsOf(file);
    expect(review(before)).toEqual([`The document holds ${comments} review comment(s).`, `The document keeps ${deletions} tracked change(s), deleted text included.`]);
    expect(before.find((f) => f.title.includes("review comment"))?.value).toBe(m.author);

    const { status, body, cleaned } = await removeViaApi(server, file, "review.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    // Each deletion, each insertion and the one format change.
    expect(body["removed"]).toMatchObject({ comments, trackedChanges: deletions + insertions + 1 });
    for (const marker of [m.comment, m.deleted, m.author]) expect(await findMarker(cleaned!, marker), marker).toEqual([]);
    expect(held(cleaned!, m.inserted)).toBe(true);
    // Blanking in place: not a byte more or less in the text stream.
    const wordBefore = (await openWord(original)).word;
    const wordAfter = (await openWord(cleaned!)).word;
    expect(wordAfter.length).toBe(wordBefore.length);
    // The dates of the revision marks and of the comment (the fixture's, 2023-05-06 07:08) are gone.
    expect(wordBefore.includes(dttm("2023-05-06T07:08:09Z"))).toBe(true);
    expect(cleaned!.includes(dttm("2023-05-06T07:08:09Z"))).toBe(false);

    const out = await save(cleaned!, "cleaned.doc");
    // LibreOffice opens the copy; with every change accepted (deletions shown are now spaces) it reads as the fixture says.
    expect(await libreOfficeText(dir, out)).toBe(fixture.finalText.join(" "));
    // As LibreOffice reads them: the insertions and the format change were changes, and are no
    // longer; Track Changes is off; the deletions (blank now) stay marked, undated.
    const was = await libreOfficeRevisions(dir, file);
    expect(was).toMatchObject({ insertions, formatChanges: 1, tracking });
    expect(was.dates.some((d) => d.startsWith("2023-05-06"))).toBe(true);
    const is = await libreOfficeRevisions(dir, out);
    expect(is).toMatchObject({ insertions: 0, formatChanges: 0, tracking: false, deletions: was.deletions });
    expect(is.dates.filter((d) => d.startsWith("2023"))).toEqual([]);
    // catdoc, which reads the whole text stream as it lies, sees no comment or deleted text.
    const catdoc = (await run("catdoc", ["-w", "-d", "utf-8", out])).stdout.toString("utf8");
    expect(catdoc).not.toContain(m.comment);
    expect(catdoc).not.toContain(m.deleted);
    // The copy is not reported as still holding review content.
    expect(review(await findingsOf(cleaned!))).toEqual([]);
  }, 120_000);

  it("8-bit and UTF-16 pieces: a deletion across the boundary and a comment in the 8-bit piece are blanked", async () => {
    const m = markers("mixed");
    const { file, fixture } = await makeReviewedDoc(dir, "docx", m);
    const w = await openWord(file);
    // Split inside the deleted paragraph's marker, so that the deletion spans both pieces.
    const at = w.word.indexOf(Buffer.from(`${m.deleted} whole`, "utf16le"));
    expect(at).toBeGreaterThan(0);
    // Where LibreOffice's one UTF-16 piece starts (the Clx: 0x02, lcb, two CPs, then the Pcd's fc).
    const start = w.table.readUInt32LE(w.word.readUInt32LE(w.pair(33)) + 5 + 8 + 2);
    const mixed = await save(await withCompressedTail(file, (at - start) / 2 + 5), "mixed.doc");
    const bytes = await fs.readFile(mixed);
    // The construction is sound: LibreOffice reads the same text from it, the marker's tail now in 8 bits.
    expect(await libreOfficeText(dir, mixed)).toBe(await libreOfficeText(dir, file));
    expect(bytes.includes(Buffer.from(m.comment, "latin1"))).toBe(true);
    expect(bytes.includes(Buffer.from(m.deleted.slice(5), "latin1"))).toBe(true);

    const { status, body, cleaned } = await removeViaApi(server, mixed, "mixed.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["removed"]).toMatchObject({ comments: 1, trackedChanges: 4 + 2 + 1 });
    for (const marker of [m.comment, m.deleted, m.author]) expect(await findMarker(cleaned!, marker), marker).toEqual([]);
    expect(cleaned!.includes(Buffer.from(m.deleted.slice(5), "latin1"))).toBe(false);
    expect(held(cleaned!, m.inserted)).toBe(true);
    expect(await libreOfficeText(dir, await save(cleaned!, "mixed-clean.doc"))).toBe(fixture.finalText.join(" "));
  }, 120_000);

  it("Chinese and Japanese text (UTF-16 without ASCII): comment and deleted text blanked, 200, the final text as written by hand", async () => {
    const m = { comment: cjkMarker(), deleted: cjkMarker(), inserted: cjkMarker(), author: cjkMarker() };
    const { file, finalText } = await makeCjkReviewedDoc(dir, m);
    const original = await fs.readFile(file);
    for (const marker of Object.values(m)) expect(held(original, marker), marker).toBe(true);
    const noSpace = (s: string): string => s.replace(/\s+/gu, "");
    // The document is one that catdoc misreads (blocks of UTF-16 taken as 8-bit): its first paragraph does not come out.
    const catdoc = (await run("catdoc", ["-w", "-d", "utf-8", file])).stdout.toString("utf8");
    expect(noSpace(catdoc)).not.toContain(finalText[0]!.slice(0, 40));

    const { status, body, cleaned } = await removeViaApi(server, file, "cjk.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    // The deletion and the insertion.
    expect(body["removed"]).toMatchObject({ comments: 1, trackedChanges: 2 });
    for (const marker of [m.comment, m.deleted, m.author]) expect(await findMarker(cleaned!, marker), marker).toEqual([]);
    expect(held(cleaned!, m.inserted)).toBe(true);
    expect((await openWord(cleaned!)).word.length).toBe((await openWord(original)).word.length);
    // LibreOffice reads the copy (the blanked deletion shows as white space) as the fixture's final text.
    expect(noSpace(await libreOfficeText(dir, await save(cleaned!, "cjk-clean.doc")))).toBe(finalText.join(""));
  }, 120_000);

  it("a picture inside a tracked deletion cannot be blanked: 422 in words; kept with keep=trackedChanges", async () => {
    const marker = `Docpicture${crypto.randomBytes(4).toString("hex")}`;
    const own = await fs.mkdtemp(path.join(dir, "picture-"));
    const file = await makeDocWithDeletedPicture(dir, await fs.readFile(await makePng(own, marker)), marker);
    const refused = await removeViaApi(server, file, "picture.doc");
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect(refused.body["error"]).toBe("The document holds a picture or an object inside a comment or a tracked deletion, which this service cannot remove from a Word 97-2003 file.");
    const kept = await removeViaApi(server, file, "picture.doc", { keep: "trackedChanges" });
    expect(kept.status, JSON.stringify(kept.body)).toBe(200);
    // The deleted words stay, as asked; the picture's own metadata goes all the same.
    expect(held(kept.cleaned!, marker)).toBe(true);
    expect(kept.body["removed"]).toHaveProperty("png");
  }, 120_000);

  it("a DOC saved by Word under review (fixture): its insertion accepted, its deletion blanked, Track Changes off, its dates, author and every rsid (formatting, styles, DOP) gone", async () => {
    const file = path.join(import.meta.dirname, "fixtures", "doc", "word-review.doc");
    const bytes = await fs.readFile(file);
    const dates = [dttm("2021-05-11T17:09:00Z"), dttm("2021-05-11T17:10:00Z")];
    const rsid = Buffer.from("613d8d00", "hex");
    for (const b of [...dates, rsid]) expect(bytes.includes(b), b.toString("hex")).toBe(true);
    expect(await libreOfficeRevisions(dir, file)).toMatchObject({ insertions: 2, deletions: 1, tracking: true });

    // Every revision-save id of the document's editing sessions, as its list of them (FIB pair 113) holds them; its first is the first session's, which the DOP and the styles hold too.
    const original = await openWord(bytes);
    const plrsid = original.word.readUInt32LE(original.pair(113));
    const rsids = Array.from({ length: original.word.readUInt32LE(original.pair(113) + 4) / 4 }, (_, i) => original.table.readUInt32LE(plrsid + i * 4))
      .filter((v) => v > 0xffff)
      .map((v) => Buffer.from(v.toString(16).padStart(8, "0"), "hex").reverse());
    expect(rsids.length).toBeGreaterThan(5);
    expect(rsids.map((r) => r.toString("hex"))).toContain(rsid.toString("hex"));

    const { status, body, cleaned } = await removeViaApi(server, file, "word-review.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    // The inserted passage and the deleted one.
    expect(body["removed"]).toMatchObject({ trackedChanges: 2 });
    for (const b of dates) expect(cleaned!.includes(b), b.toString("hex")).toBe(false);
    // The rsids: in the formatting (the main stream) and in the table stream's list of them (FIB pair 113, declared absent).
    const streams = await openWord(cleaned!);
    expect(streams.word.includes(rsid)).toBe(false);
    expect(streams.word.readUInt32LE(streams.pair(113) + 4)).toBe(0);
    // Nor anywhere else in the file: the styles' ids (each style's last editing session) and the DOP's first session's id.
    for (const r of rsids) expect(cleaned!.includes(r), r.toString("hex")).toBe(false);
    expect(await findMarker(cleaned!, "Stuart Watt")).toEqual([]);
    expect(held(cleaned!, "This text has been deleted")).toBe(false);
    expect(held(cleaned!, "This text has been inserted, and should be included")).toBe(true);
    const out = await save(cleaned!, "word-review-clean.doc");
    expect(await libreOfficeRevisions(dir, out)).toMatchObject({ insertions: 0, formatChanges: 0, tracking: false });
    expect(await libreOfficeText(dir, out)).toBe("This is a test of reviewing This text has been inserted, and should be included");
  }, 120_000);

  it("the style sheet's editing traces: each style's revision-save id and a revision mark's dates in a style's formatting are zeroed; the text reads the same", async () => {
    const fixture = path.join(import.meta.dirname, "fixtures", "doc", "word-review.doc");
    const rsid = Buffer.from("5a17e5c0", "hex");
    const date = dttm("2019-03-04T05:06:00Z");
    const file = await save(await withStyleTraces(fixture, rsid, date), "styles.doc");
    const original = await fs.readFile(file);
    expect(original.includes(rsid)).toBe(true);
    expect(original.includes(date)).toBe(true);

    const { status, body, cleaned } = await removeViaApi(server, file, "styles.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(cleaned!.includes(rsid)).toBe(false);
    expect(cleaned!.includes(date)).toBe(false);
    const out = await save(cleaned!, "styles-clean.doc");
    expect(await libreOfficeText(dir, out)).toBe("This is a test of reviewing This text has been inserted, and should be included");
  }, 120_000);

  it("a piece of text marked inserted as a whole by its own Prm (the piece table's short form): no longer an insertion", async () => {
    const m = markers("piece");
    const { file, fixture } = await makeReviewedDoc(dir, "docx", m);
    const w = await openWord(file);
    // LibreOffice's one piece: its Pcd's Prm (after the Clx's 0x02, lcb, two CPs, 2 bytes and the fc) becomes a Prm0 applying sprmCFRMarkIns (isprm 0x42) on.
    const clx = w.word.readUInt32LE(w.pair(33));
    expect(w.table.readUInt16LE(clx + 5 + 8 + 6)).toBe(0);
    w.table.writeUInt16LE((0x42 << 1) | (1 << 8), clx + 5 + 8 + 6);
    const marked = await save(w.bytes(), "piece.doc");
    expect((await libreOfficeRevisions(dir, marked)).insertions).toBeGreaterThan(2);

    const { status, body, cleaned } = await removeViaApi(server, marked, "piece.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    // The 4 deletions, the bold run, and the whole text as one inserted passage.
    expect(body["removed"]).toMatchObject({ trackedChanges: 4 + 1 + 1 });
    const out = await save(cleaned!, "piece-clean.doc");
    expect(await libreOfficeRevisions(dir, out)).toMatchObject({ insertions: 0, formatChanges: 0 });
    expect(await libreOfficeText(dir, out)).toBe(fixture.finalText.join(" "));
  }, 120_000);

  it("a piece of text marked inserted, with its author and date, by a Prc of the piece table (as fast saves write): no longer an insertion, undated", async () => {
    const m = markers("prc");
    const { file, fixture } = await makeReviewedDoc(dir, "docx", m);
    const date = dttm("2018-09-10T11:12:00Z");
    const marked = await save(await withPrcInsertion(file, date), "prc.doc");
    expect((await fs.readFile(marked)).includes(date)).toBe(true);
    expect((await libreOfficeRevisions(dir, marked)).insertions).toBeGreaterThan(2);

    const { status, body, cleaned } = await removeViaApi(server, marked, "prc.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["removed"]).toMatchObject({ trackedChanges: 4 + 1 + 1 });
    expect(cleaned!.includes(date)).toBe(false);
    const out = await save(cleaned!, "prc-clean.doc");
    expect(await libreOfficeRevisions(dir, out)).toMatchObject({ insertions: 0, formatChanges: 0 });
    expect(await libreOfficeText(dir, out)).toBe(fixture.finalText.join(" "));
  }, 120_000);

  describe("revision marks LibreOffice does not write, planted by hand with a date each", () => {
    const dates: PlantedDates = {
      paragraph: dttm("2019-01-02T03:04:00Z"),
      paragraph97: dttm("2019-02-03T04:05:00Z"),
      table: dttm("2019-03-04T05:06:00Z"),
      section: dttm("2019-04-05T06:07:00Z"),
      section97: dttm("2019-05-06T07:08:00Z"),
      character: dttm("2019-06-07T08:09:00Z"),
      field: dttm("2019-07-08T09:10:00Z"),
    };
    // The planted marks' sprms with their count byte and "on": sprmPPropRMark, its Word 97
    // number, sprmTPropRMark, sprmSPropRMark, its Word 97 number, sprmCPropRMark, sprmCDispFldRMark.
    const rsid = Buffer.from("5a17c0de", "hex");
    const marks = ["6fc60701", "3fc60701", "67d60701", "43d20701", "27d20701", "89ca0701", "62ca2701"].map((h) => Buffer.from(h, "hex"));
    let file: string;
    let fixture: Awaited<ReturnType<typeof makeReviewedDoc>>["fixture"];
    beforeAll(async () => {
      const made = await makeReviewedDoc(dir, "docx", markers("planted"));
      fixture = made.fixture;
      file = await save(await withPlantedRevisions(made.file, dates, rsid), "planted.doc");
      const bytes = await fs.readFile(file);
      for (const sprm of ["1568", "1668", "6764", "3a70"]) expect(bytes.includes(Buffer.concat([Buffer.from(sprm, "hex"), rsid])), sprm).toBe(true);
      for (const [kind, date] of Object.entries(dates)) expect(bytes.includes(date), kind).toBe(true);
      for (const mark of marks) expect(bytes.includes(mark), mark.toString("hex")).toBe(true);
      // The construction is sound: LibreOffice reads the same text from it as from the document it was made from.
      expect(await libreOfficeText(dir, file)).toBe(await libreOfficeText(dir, made.file));
    }, 120_000);

    it("paragraph, table-row, section and run property revisions and a changed list number: dates and revision-save ids gone, marks taken out, counted, the final text as written by hand", async () => {
      const { status, body, cleaned } = await removeViaApi(server, file, "planted.doc");
      expect(status, JSON.stringify(body)).toBe(200);
      // The fixture's 4 deletions, 2 insertions and bold run, and the 7 planted revisions (the
      // table's rows share one formatting record).
      expect(body["removed"]).toMatchObject({ comments: 1, trackedChanges: 4 + 2 + 1 + 7 });
      for (const [kind, date] of Object.entries(dates)) expect(cleaned!.includes(date), kind).toBe(false);
      // The revision-save ids too, as the DOCX cleaner takes out `w:rsid*`.
      expect(cleaned!.includes(rsid)).toBe(false);
      for (const mark of marks) {
        expect(cleaned!.includes(mark), mark.toString("hex")).toBe(false);
        expect(cleaned!.includes(Buffer.from([mark[0]!, mark[1]!, mark[2]!, 0])), mark.toString("hex")).toBe(false);
      }
      expect(await libreOfficeText(dir, await save(cleaned!, "planted-clean.doc"))).toBe(fixture.finalText.join(" "));
    }, 120_000);

    it("keep=trackedChanges: the planted revisions stay, undated", async () => {
      const { status, body, cleaned } = await removeViaApi(server, file, "planted.doc", { keep: "trackedChanges" });
      expect(status, JSON.stringify(body)).toBe(200);
      expect(body["removed"]).not.toHaveProperty("trackedChanges");
      for (const [kind, date] of Object.entries(dates)) expect(cleaned!.includes(date), kind).toBe(false);
      expect(cleaned!.includes(rsid)).toBe(false);
      // Each mark still on, its author index as written and its date zero.
      for (const mark of marks) expect(cleaned!.includes(Buffer.concat([mark, Buffer.alloc(6)])), mark.toString("hex")).toBe(true);
    }, 120_000);
  });

  it("keep=comments,trackedChanges: comment and deleted text stay, nothing counted", async () => {
    const m = markers("keep");
    const { file } = await makeReviewedDoc(dir, "odt", m);
    const { status, body, cleaned } = await removeViaApi(server, file, "review.doc", { keep: "comments,trackedChanges" });
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["removed"]).not.toHaveProperty("comments");
    expect(body["removed"]).not.toHaveProperty("trackedChanges");
    expect(held(cleaned!, m.comment)).toBe(true);
    expect(held(cleaned!, m.deleted)).toBe(true);
    // Their authors and dates go all the same; the changes stay changes, and Track Changes stays on.
    expect(await findMarker(cleaned!, m.author)).toEqual([]);
    const kept = await libreOfficeRevisions(dir, await save(cleaned!, "kept.doc"));
    expect(kept).toMatchObject({ insertions: 1, deletions: 1, formatChanges: 1, tracking: true });
    expect(kept.dates.filter((d) => d.startsWith("2023"))).toEqual([]);
  }, 120_000);
});

describe("POST /api/v1/remove on damaged Word 97-2003 review structures: a 422 or a clean copy, never a 500", () => {
  const m = markers("damaged");
  let base: string;
  beforeAll(async () => {
    base = (await makeReviewedDoc(dir, "docx", m)).file;
  }, 120_000);

  // FibRgLw97 entry 7 is ccpAtn; fc/lcb pair 33 the Clx, 12 the PlcBteChpx, 5 the PlcfandTxt.
  const refused: Array<{ name: string; why: string; damage: (w: Awaited<ReturnType<typeof openWord>>) => void }> = [
    { name: "ccpAtn far beyond the piece table", why: "its header counts more text than its piece table holds", damage: (w) => w.word.writeInt32LE(0x7fffffff, w.lw(7)) },
    { name: "a negative ccpAtn", why: "its header counts more text than its piece table holds", damage: (w) => w.word.writeInt32LE(-24, w.lw(7)) },
    { name: "the piece table pointing outside the main stream", why: "its piece table points outside its main stream", damage: (w) => w.table.writeUInt32LE(w.word.length - 4, clx(w) + 5 + 8 + 2) },
    { name: "the piece table cut off by the end of the table stream", why: "its piece table is missing or lies outside its table stream", damage: (w) => w.word.writeUInt32LE(w.table.length, w.pair(33) + 4) },
    { name: "a piece's formatting (Prm1) naming a Prc that is not there", why: "a piece of its text refers to formatting that is not there", damage: (w) => w.table.writeUInt16LE(0x0003, clx(w) + 5 + 8 + 6) },
    {
      name: "a character formatting page outside the main stream",
      why: "its character formatting points outside its main stream",
      damage: (w) => {
        const fc = w.word.readUInt32LE(w.pair(12));
        const n = (w.word.readUInt32LE(w.pair(12) + 4) - 4) / 8;
        w.table.writeUInt32LE(0x3fffff, fc + (n + 1) * 4);
      },
    },
  ];
  const clx = (w: Awaited<ReturnType<typeof openWord>>): number => w.word.readUInt32LE(w.pair(33));

  it.each(refused)("$name: 422 in words", async ({ damage, why }) => {
    const w = await openWord(base);
    damage(w);
    const { status, body, cleaned } = await removeViaApi(server, await save(w.bytes(), "damaged.doc"), "damaged.doc");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe(`The Word 97-2003 document could not be read: ${why}.`);
    expect(cleaned).toBeNull();
  });

  // Word 6.0 and 95 write a magic number of their own (Tika's testWORD6.doc was refused as a damaged file), some converters Word 97's or another with an older nFib.
  const word6Headers = [
    { name: "Word 6.0's magic number and nFib", ident: 0xa5dc, nFib: 0x0065 },
    { name: "Word 97's magic number with Word 95's nFib", ident: 0xa5ec, nFib: 0x0068 },
    // Apache POI's Bug51944.doc (a Word 95 document from another writer) was refused as damaged.
    { name: "another writer's magic number with Word 95's nFib", ident: 0xa699, nFib: 0x0068 },
  ];
  it.each(word6Headers)("a Word 6.0/95 header ($name): 422 in words", async ({ ident, nFib }) => {
    const w = await openWord(base);
    w.word.writeUInt16LE(ident, 0);
    w.word.writeUInt16LE(nFib, 2);
    const { status, body } = await removeViaApi(server, await save(w.bytes(), "word95.doc"), "word95.doc");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The document is in the Word 6.0/95 format, whose metadata, comments and tracked changes this service cannot remove.");
  });

  // What the cfb library reads past quietly but would send another reader (the final-text check's) round a loop or through tables sized by the header.
  const compound: Array<{ name: string; damage: () => Promise<Buffer> }> = [
    { name: "the WordDocument stream's sector chain looping back to its start", damage: () => withLoopingWordChain(base) },
    {
      name: "a header counting 4,000,000 FAT sectors",
      damage: async () => {
        const bytes = await fs.readFile(base);
        bytes.writeUInt32LE(4_000_000, 0x2c);
        return bytes;
      },
    },
  ];
  it.each(compound)("$name: 422 as damaged, not a worker filling its heap", async ({ damage }) => {
    const { status, body, cleaned } = await removeViaApi(server, await save(await damage(), "damaged.doc"), "damaged.doc");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("The file is not a readable Office 97-2003 document: its compound file structure is damaged.");
    expect(cleaned).toBeNull();
  });

  it("a PlcfandTxt of garbage (where each comment starts): the comments' text is blanked all the same", async () => {
    const w = await openWord(base);
    const fc = w.word.readUInt32LE(w.pair(5));
    w.table.fill(0xff, fc, fc + w.word.readUInt32LE(w.pair(5) + 4));
    const { status, body, cleaned } = await removeViaApi(server, await save(w.bytes(), "damaged.doc"), "damaged.doc");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["removed"]).toMatchObject({ comments: 1, trackedChanges: 4 + 2 + 1 });
    for (const marker of [m.comment, m.deleted, m.author]) expect(await findMarker(cleaned!, marker), marker).toEqual([]);
  });
});
