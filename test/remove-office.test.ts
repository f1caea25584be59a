import crypto from "node:crypto";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { DOMParser, XMLSerializer, type Element } from "@xmldom/xmldom";
import yauzl from "yauzl";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { extractZip } from "../src/cleaners/office/zip-read.js";
import { TooComplexError } from "../src/cleaners/errors.js";
import { docxWithDocument, makeBombDocx, makeMarkedJpeg, makeOffice, RSID, W, withRelated, XML, zip, type OfficeKind } from "./helpers/make-office.js";
import { makeReviewed, type ReviewKind, type ReviewMarkers } from "./helpers/make-office-review.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi, type RemoveOutcome } from "./helpers/remove-api.js";
import { postFile, startServer, type RunningServer } from "./helpers/server.js";
import { run } from "./helpers/tools.js";

/*
 * Office removal, table-driven: each document is built by hand (see helpers/make-office.ts) with a
 * marker in every metadata field the format has and a JPEG whose EXIF Artist holds it; after
 * cleaning through the HTTP API the marker is nowhere in the downloaded file (raw, UTF-16, inside every zip entry and zlib stream), the
 * body XML is the same once the metadata attributes are set aside, and the package is valid.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "remove-office-"));
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fsp.rm(dir, { recursive: true, force: true });
});

async function remove(bytes: Buffer, name: string): Promise<RemoveOutcome> {
  const file = path.join(dir, `${crypto.randomUUID()}-${name}`);
  await fsp.writeFile(file, bytes);
  return removeViaApi(server, file, name);
}

/** POST /api/v1/remove with a `keep` option, then the download. */
async function removeKeeping(bytes: Buffer, name: string, keep: string): Promise<RemoveOutcome & { ms: number }> {
  const started = Date.now();
  const res = await postFile(`${server.baseUrl}/api/v1/remove`, { name, data: bytes }, { headers: { "X-API-Key": server.apiKey }, fields: keep === "" ? {} : { keep } });
  const body = (await res.json()) as Record<string, unknown>;
  const ms = Date.now() - started;
  if (res.status !== 200) return { status: res.status, body, cleaned: null, ms };
  const dl = await fetch(body["downloadUrl"] as string);
  expect(dl.status).toBe(200);
  return { status: res.status, body, cleaned: Buffer.from(await dl.arrayBuffer()), ms };
}

const KINDS: readonly OfficeKind[] = ["docx", "odt", "xlsx", "pptx", "ods", "odp"];

describe("POST /api/v1/remove on office documents", () => {
  // Review content kept (its authors and dates neutralised), so that the body compares equal.
  test.each(KINDS)("%s with keep=comments,trackedChanges: marker gone, body unchanged, package valid", async (kind) => {
    const marker = `MRK${kind}${crypto.randomBytes(4).toString("hex")}`;
    const fx = await makeOffice(kind, marker, await makeMarkedJpeg(dir, marker));
    expect(await findMarker(fx.bytes, marker)).not.toEqual([]);

    const { status, body: res, cleaned } = await removeKeeping(fx.bytes, `report.${kind}`, "comments,trackedChanges");
    expect(status, JSON.stringify(res)).toBe(200);
    expect(res["remaining"]).toEqual({});
    const removed = res["removed"] as Record<string, number>;
    expect(Object.values(removed).reduce((a, b) => a + b, 0)).toBeGreaterThan(5);
    const out = cleaned!;

    expect(await findMarker(out, marker)).toEqual([]);
    expect(await findMarker(out, RSID)).toEqual([]);

    const before = await unzip(fx.bytes);
    const after = await unzip(out);
    expect(body(after.get(fx.bodyPart)!.data)).toBe(body(before.get(fx.bodyPart)!.data));
    expect(after.has(fx.imagePart)).toBe(true);
    for (const e of after.values()) {
      expect(e.comment).toBe("");
      expect(e.extraFieldLength).toBe(0);
      expect(e.mtime).toBe("1980-01-01T00:00:00");
    }
    if (kind.startsWith("od")) expectValidOdf(after);
    else expectValidOoxml(after);
  });

  test.each([true, false])("a decompression bomb (headers lying: %s) is refused quickly", async (lie) => {
    const started = Date.now();
    const { status, body: res, cleaned } = await remove(await makeBombDocx(200 * 1024 * 1024, lie), "bomb.docx");
    expect(status).toBe(422);
    expect(res["error"]).toMatch(/too complex to process within this service.s limits|not a readable ZIP/);
    expect(cleaned).toBeNull();
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  // Found by the fuzz run: a bit flip in a part's name (`docProts/core.xml`) hid it from the rules
  // that go by name and by relationship; the parts are now also recognised by their root element.
  test.each([
    ["docx", { "docProps/core.xml": "docProts/core.xml", "docProps/app.xml": "docProts/app.xml", "docProps/custom.xml": "docProts/custom.xml", "customXml/item1.xml": "customXmk/item1.xml", "word/people.xml": "word/peoplf.xml" }],
    ["odt", { "meta.xml": "mefa.xml" }],
  ] as const)("%s: metadata parts whose names are damaged are still dropped", async (kind, renames) => {
    const marker = `MRKname${crypto.randomBytes(4).toString("hex")}`;
    const fx = await makeOffice(kind, marker, await makeMarkedJpeg(dir, marker));
    const parts = [...(await unzip(fx.bytes))].map(([n, e]): [string, Buffer] => [(renames as Record<string, string>)[n] ?? n, e.data]);
    for (const damaged of Object.values(renames)) expect(parts.map(([n]) => n)).toContain(damaged);
    const { status, body: res, cleaned } = await remove(await zip(parts), `damaged-names.${kind}`);
    expect(status, JSON.stringify(res)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
  });

  test("an embedded file no cleaner handles makes the document refused, not handed back", async () => {
    const marker = `MRKole${crypto.randomBytes(4).toString("hex")}`;
    const fx = await makeOffice("docx", marker, await makeMarkedJpeg(dir, marker));
    const parts = await unzip(fx.bytes);
    const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0]), Buffer.from(`${marker} embedded object`)]);
    const withOle = await zip(withRelated([...parts].map(([n, e]): [string, Buffer] => [n, e.data]), [["word/embeddings/oleObject1.bin", ole, "oleObject"]]));
    const { status, body: res, cleaned } = await remove(withOle, "with-object.docx");
    expect(status).toBe(422);
    expect(res["error"]).toMatch(/^The document holds an embedded file that cannot be cleaned: word\/embeddings\/oleObject1\.bin \(.+\)\.$/);
    expect(cleaned).toBeNull();
  });

  // The contract: "An inner file that no cleaner handles makes the whole request a 422 naming its
  // type"; the refusal said only "an embedded file whose metadata cannot be removed".
  test.each([
    ["docx", "word/embeddings/notes.json"],
    ["odt", "Objects/notes.json"],
  ] as const)("%s: the refusal of an embedded file no cleaner handles names its part and its type", async (kind, part) => {
    const marker = `MRKtxt${crypto.randomBytes(4).toString("hex")}`;
    const fx = await makeOffice(kind, marker, await makeMarkedJpeg(dir, marker));
    const parts = [...(await unzip(fx.bytes))].map(([n, e]): [string, Buffer] => [n, e.data]);
    const notes = Buffer.from(`{"notes": "Notes by ${marker}"}\n`);
    const { status, body: res, cleaned } = await remove(await zip(kind === "docx" ? withRelated(parts, [[part, notes, "package"]]) : [...parts, [part, notes]]), `with-notes.${kind}`);
    expect(status, JSON.stringify(res)).toBe(422);
    expect(res["error"]).toBe(`The document holds an embedded file that cannot be cleaned: ${part} (JSON).`);
    expect(cleaned).toBeNull();
  });
});

const REVIEW_KINDS: readonly ReviewKind[] = ["docx", "xlsx", "pptx", "odt"];

function reviewMarkers(): ReviewMarkers {
  const tag = (what: string): string => `MRK${what}${crypto.randomBytes(4).toString("hex")}`;
  return { comment: tag("cmt"), author: tag("aut"), deleted: tag("del"), inserted: tag("ins") };
}

/** The markers a fixture really holds (spreadsheets and slides have no tracked text). */
function planted(kind: ReviewKind, m: ReviewMarkers): { gone: string[]; kept: string[] } {
  return kind === "docx" || kind === "odt" ? { gone: [m.comment, m.author, m.deleted], kept: [m.inserted] } : { gone: [m.comment, m.author], kept: [] };
}

describe("review content of office documents", () => {
  test.each(REVIEW_KINDS)("%s: comments and deleted text gone by default, inserted text kept as plain text, same final text", async (kind) => {
    const m = reviewMarkers();
    const fx = await makeReviewed(kind, m);
    const { gone, kept } = planted(kind, m);
    for (const marker of [...gone, ...kept]) expect(await findMarker(fx.bytes, marker), marker).not.toEqual([]);

    const { status, body: res, cleaned } = await removeKeeping(fx.bytes, `review.${kind}`, "");
    expect(status, JSON.stringify(res)).toBe(200);
    expect(res["remaining"]).toEqual({});
    const removed = res["removed"] as Record<string, number>;
    expect(removed["comments"]).toBe(fx.comments);
    expect(removed["trackedChanges"]).toBe(fx.trackedChanges === 0 ? undefined : fx.trackedChanges);
    // The report of the original counts the changes the cleaning accepted, no fewer.
    const changes = (res["findings"] as Array<{ kind: string; title: string; value?: string }>).find((f) => f.kind === "hidden" && /tracked change/.test(f.title));
    expect(changes?.value).toBe(fx.trackedChanges === 0 ? undefined : String(fx.trackedChanges));
    for (const marker of gone) expect(await findMarker(cleaned!, marker), marker).toEqual([]);
    for (const marker of kept) expect(await findMarker(cleaned!, marker), marker).not.toEqual([]);

    const after = await unzip(cleaned!);
    for (const part of fx.reviewParts) expect(after.has(part), part).toBe(false);
    if (kind === "odt") expectValidOdf(after);
    else expectValidOoxml(after);
    expect(await finalText(kind, cleaned!)).toEqual(fx.finalText);
    const text = [...after.values()].map((e) => e.data.toString("utf8")).join("");
    // No revision or comment markup left over for a reader to trip on.
    expect(text).not.toMatch(/<w:(ins|del|moveFrom|moveTo|comment\w*|\w+Change)\b|<text:(change|changed-region)\b|<office:annotation|legacyDrawing|commentRel/);
  });

  test.each(REVIEW_KINDS)("%s: keep=comments,trackedChanges keeps them, authors neutralised", async (kind) => {
    const m = reviewMarkers();
    const fx = await makeReviewed(kind, m);
    const { gone } = planted(kind, m);
    const { status, body: res, cleaned } = await removeKeeping(fx.bytes, `review-kept.${kind}`, "comments,trackedChanges");
    expect(status, JSON.stringify(res)).toBe(200);
    expect(res["remaining"]).toEqual({});
    const removed = res["removed"] as Record<string, number>;
    expect(removed["comments"]).toBeUndefined();
    expect(removed["trackedChanges"]).toBeUndefined();
    expect(await findMarker(cleaned!, m.author)).toEqual([]);
    for (const marker of gone.filter((g) => g !== m.author)) expect(await findMarker(cleaned!, marker), marker).not.toEqual([]);
    const after = await unzip(cleaned!);
    // Word's people list names the commenters and nothing else: it goes whatever is kept.
    for (const part of fx.reviewParts.filter((p) => p !== "word/people.xml")) expect(after.has(part), part).toBe(true);
  });

  test("docx: keep=comments alone keeps the comments and still accepts the changes", async () => {
    const m = reviewMarkers();
    const fx = await makeReviewed("docx", m);
    const { status, body: res, cleaned } = await removeKeeping(fx.bytes, "comments-kept.docx", "comments");
    expect(status, JSON.stringify(res)).toBe(200);
    expect((res["removed"] as Record<string, number>)["trackedChanges"]).toBe(fx.trackedChanges);
    expect(await findMarker(cleaned!, m.comment)).not.toEqual([]);
    expect(await findMarker(cleaned!, m.deleted)).toEqual([]);
    expect(await findMarker(cleaned!, m.author)).toEqual([]);
    expect(await finalText("docx", cleaned!)).toEqual(fx.finalText);
  });

  // Impress writes slide comments as `officeooo:annotation`; Calc keeps a changed cell's former
  // value in `table:tracked-changes`.
  test.each(["odp", "ods"] as const)("%s: Impress comments and Calc's tracked changes go by default", async (kind) => {
    const m = reviewMarkers();
    const fx = await makeOffice(kind, m.author, await makeMarkedJpeg(dir, m.author));
    const info = `<office:change-info><dc:creator>${m.author}</dc:creator><dc:date>2023-05-06T07:08:09</dc:date></office:change-info>`;
    const change = `<table:tracked-changes><table:cell-content-change table:id="ct1">${info}<table:cell-address table:column="0" table:row="0" table:table="0"/><table:previous><table:change-track-table-cell office:value-type="string"><text:p>${m.deleted} former value</text:p></table:change-track-table-cell></table:previous></table:cell-content-change></table:tracked-changes>`;
    const parts = [...(await unzip(fx.bytes))].map(([n, e]): [string, Buffer] => {
      if (n !== "content.xml") return [n, e.data];
      const xml = e.data.toString("utf8").replace("<text:p>A comment</text:p>", `<text:p>${m.comment}</text:p>`);
      return [n, Buffer.from(kind === "odp" ? xml.replace(/office:annotation>/g, "officeooo:annotation>") : xml.replace("<office:spreadsheet>", `<office:spreadsheet>${change}`))];
    });
    const bytes = await zip(parts);
    for (const marker of [m.comment, ...(kind === "ods" ? [m.deleted] : [])]) expect(await findMarker(bytes, marker), marker).not.toEqual([]);
    const { status, body: res, cleaned } = await removeKeeping(bytes, `review.${kind}`, "");
    expect(status, JSON.stringify(res)).toBe(200);
    const removed = res["removed"] as Record<string, number>;
    expect(removed["comments"]).toBe(1);
    expect(removed["trackedChanges"]).toBe(kind === "ods" ? 1 : undefined);
    for (const marker of [m.comment, m.author, m.deleted]) expect(await findMarker(cleaned!, marker), marker).toEqual([]);
  });

  // Found on real files: LibreOffice writes a 0-byte `Configurations2/accelerator/current.xml`,
  // and Word files were seen with an empty `word/fontTable.xml`. An empty part is valid.
  test.each([
    ["odt", "Configurations2/accelerator/current.xml"],
    ["ods", "Configurations2/accelerator/current.xml"],
    ["odp", "Configurations2/accelerator/current.xml"],
    ["docx", "word/fontTable.xml"],
  ] as const)("%s with an empty %s is cleaned, the empty part kept", async (kind, empty) => {
    const marker = `MRKempty${crypto.randomBytes(4).toString("hex")}`;
    const fx = await makeOffice(kind, marker, await makeMarkedJpeg(dir, marker));
    const parts = [...(await unzip(fx.bytes))].map(([n, e]): [string, Buffer] => [n, e.data]);
    const { status, body: res, cleaned } = await remove(await zip(kind === "docx" ? withRelated(parts, [[empty, Buffer.alloc(0), "fontTable"]]) : [...parts, [empty, Buffer.alloc(0)]]), `empty-part.${kind}`);
    expect(status, JSON.stringify(res)).toBe(200);
    expect(res["remaining"]).toEqual({});
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    expect((await unzip(cleaned!)).get(empty)?.data.length).toBe(0);
  });
});

/**
 * The text a reader sees, paragraph by paragraph. Word and OpenDocument text as LibreOffice reads
 * it (no code of ours involved); spreadsheet cells and slide text straight from their XML, which
 * comments do not touch.
 */
async function finalText(kind: ReviewKind, bytes: Buffer): Promise<string[]> {
  if (kind === "docx" || kind === "odt") return libreOfficeText(bytes, kind);
  const entries = await unzip(bytes);
  const part = kind === "xlsx" ? "xl/worksheets/sheet1.xml" : "ppt/slides/slide1.xml";
  return [...entries.get(part)!.data.toString("utf8").matchAll(/<(?:a:)?t>([^<]*)<\/(?:a:)?t>/g)].map((x) => x[1]!);
}

async function libreOfficeText(bytes: Buffer, ext: string): Promise<string[]> {
  const work = await fsp.mkdtemp(path.join(dir, "lo-"));
  const file = path.join(work, `doc.${ext}`);
  await fsp.writeFile(file, bytes);
  await run("soffice", [`-env:UserInstallation=file://${work}/profile`, "--headless", "--convert-to", "txt:Text (encoded):UTF8", "--outdir", work, file], { timeoutMs: 120_000 });
  const text = (await fsp.readFile(path.join(work, "doc.txt"), "utf8")).replace(/^\uFEFF/, "");
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
}

describe("XML parts are read as a stream, within limits", () => {
  const document = (body: string): string => `${XML}<w:document xmlns:w="${W}"><w:body>${body}</w:body></w:document>`;

  // A DOM of such parts would take gigabytes (about a kilobyte per node) or overflow the stack.
  test.each([
    ["nests 20,000 deep", (): string => document(`${"<w:p>".repeat(20_000)}${"</w:p>".repeat(20_000)}`)],
    ["holds 4.2 million empty paragraphs", (): string => document("<w:p/>".repeat(4_200_000))],
  ])("a DOCX whose document.xml %s is refused as too complex", async (_what, make) => {
    const bytes = await docxWithDocument(make());
    expect(bytes.length).toBeLessThan(1 << 20);
    const { status, body: res, cleaned, ms } = await removeKeeping(bytes, "complex.docx", "");
    expect(status, `${JSON.stringify(res)}\n${server.logs.slice(-6).join("\n")}\n${server.stderr.join("").slice(-2000)}`).toBe(422);
    expect(res["error"]).toMatch(/too complex to process within this service.s limits/);
    expect(cleaned).toBeNull();
    // About 4 s of CPU for the longer one; the margin is for a busy machine.
    expect(ms).toBeLessThan(90_000);
  });

  test("a large sheet (more nodes than a DOM would hold in a worker) is cleaned, its cells unchanged", async () => {
    const S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const rows = Array.from({ length: 40_000 }, (_, i) => `<row r="${i + 1}"><c r="A${i + 1}" s="1"><v>${i}</v></c><c r="B${i + 1}" t="inlineStr"><is><t>cell &amp; ${i}</t></is></c></row>`);
    const sheet = `${XML}<worksheet xmlns="${S}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetData>${rows.join("")}</sheetData></worksheet>`;
    const marker = `MRKsheet${crypto.randomBytes(4).toString("hex")}`;
    const fx = await makeOffice("xlsx", marker, await makeMarkedJpeg(dir, marker));
    const parts = [...(await unzip(fx.bytes))].map(([n, e]): [string, Buffer] => [n, n === fx.bodyPart ? Buffer.from(sheet) : e.data]);
    const { status, body: res, cleaned } = await removeKeeping(await zip(parts), "large.xlsx", "");
    expect(status, JSON.stringify(res)).toBe(200);
    expect(await findMarker(cleaned!, marker)).toEqual([]);
    expect((await unzip(cleaned!)).get(fx.bodyPart)!.data.toString("utf8")).toBe(sheet);
  });
});

describe("zip extraction limits", () => {
  test("the total of all entries is counted as inflated, with bounded memory", async () => {
    const parts: [string, Buffer][] = [["a.bin", Buffer.alloc(5 << 20)], ["b.bin", Buffer.alloc(5 << 20)], ["c.bin", Buffer.alloc(5 << 20)]];
    const file = path.join(dir, "many.zip");
    await fsp.writeFile(file, await zip(parts));
    const work = await fsp.mkdtemp(path.join(dir, "work-"));
    const rss = process.memoryUsage().rss;
    const err = await extractZip(file, work, { maxEntries: 100, maxTotalBytes: 12 << 20, maxXmlBytes: 1 << 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TooComplexError);
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 << 20);
  });
});

interface Unzipped {
  index: number;
  data: Buffer;
  compressionMethod: number;
  comment: string;
  extraFieldLength: number;
  mtime: string;
}

function unzip(bytes: Buffer): Promise<Map<string, Unzipped>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(bytes, { lazyEntries: true }, (err, zip) => {
      if (err != null) return reject(err);
      const entries = new Map<string, Unzipped>();
      zip.on("error", reject);
      zip.on("end", () => resolve(entries));
      zip.on("entry", (e: yauzl.Entry) => {
        zip.openReadStream(e, (err2, stream) => {
          if (err2 != null) return reject(err2);
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("end", () => {
            const d = e.getLastModDate();
            const mtime = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
            const comment = e.fileComment.toString();
            entries.set(e.fileName, { index: entries.size, data: Buffer.concat(chunks), compressionMethod: e.compressionMethod, comment, extraFieldLength: e.extraFieldLength, mtime });
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

const pad = (n: number): string => String(n).padStart(2, "0");

/**
 * The body as a person reads it: the XML with the metadata the cleaner may change set aside
 * (revision ids, who and when of comments and changes), serialised the same way on both sides.
 */
function body(xml: Buffer): string {
  const doc = new DOMParser().parseFromString(xml.toString("utf8"), "application/xml");
  const drop = /^(rsid.*|paragraph-rsid|author|date|dateUtc|initials|dt|uid)$/;
  const walk = (el: Element): void => {
    for (const a of Array.from({ length: el.attributes.length }, (_, i) => el.attributes.item(i)!)) {
      if (drop.test(a.localName ?? a.name)) el.removeAttributeNode(a);
    }
    for (const c of Array.from(el.childNodes)) {
      if (c.nodeType !== 1) continue;
      const child = c as Element;
      if (/^(dc:creator|dc:date|meta:creator-initials)$/.test(child.nodeName)) el.removeChild(child);
      else walk(child);
    }
  };
  walk(doc.documentElement!);
  return new XMLSerializer().serializeToString(doc);
}

function expectValidOdf(entries: Map<string, Unzipped>): void {
  const mimetype = entries.get("mimetype");
  expect(mimetype?.index).toBe(0);
  expect(mimetype?.compressionMethod).toBe(0);
  const manifest = entries.get("META-INF/manifest.xml")!.data.toString("utf8");
  for (const m of manifest.matchAll(/full-path="([^"]+)"/g)) {
    const p = m[1]!;
    if (p !== "/") expect(entries.has(p), `manifest lists ${p}`).toBe(true);
  }
  for (const gone of ["meta.xml", "Thumbnails/thumbnail.png"]) expect(entries.has(gone)).toBe(false);
}

function expectValidOoxml(entries: Map<string, Unzipped>): void {
  expect(entries.get("[Content_Types].xml")?.index).toBe(0);
  for (const [name, e] of entries) {
    if (!name.endsWith(".rels")) continue;
    const source = name.replace(/_rels\/([^/]*)\.rels$/, "$1");
    for (const m of e.data.toString("utf8").matchAll(/<Relationship [^>]*>/g)) {
      const tag = m[0];
      if (tag.includes('TargetMode="External"')) continue;
      const target = /Target="([^"]+)"/.exec(tag)![1]!;
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(source), target));
      expect(entries.has(resolved), `${name} -> ${resolved}`).toBe(true);
    }
  }
  const types = entries.get("[Content_Types].xml")!.data.toString("utf8");
  for (const m of types.matchAll(/PartName="\/([^"]+)"/g)) expect(entries.has(m[1]!), `override ${m[1]}`).toBe(true);
  for (const name of entries.keys()) expect(name.startsWith("docProps/") || name.startsWith("customXml/")).toBe(false);
}
