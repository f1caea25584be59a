import crypto from "node:crypto";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BadFileError } from "../src/cleaners/errors.js";
import { checkSameLegacyText } from "../src/cleaners/legacy-office/same-text.js";
import { checkSameFinalText, finalText, type TextFormat } from "../src/cleaners/office/final-text.js";
import { checkSamePdfText, pageText } from "../src/cleaners/pdf/same-text.js";
import { zip, type Part } from "./helpers/make-office.js";
import { makeReviewed, type ReviewKind, type ReviewMarkers } from "./helpers/make-office-review.js";
import { cjkMarker, makeCjkReviewedDoc, makeReviewedDoc } from "./helpers/make-doc-review.js";
import { makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { makeMarkedPdf, PDF_TEXT } from "./helpers/make-pdf.js";
import { readZip } from "./helpers/read-archives.js";

/*
 * The verification's final-text comparison, on real generated documents under review: the text it
 * reads from the original is the hand-written final text of the fixture (insertions kept,
 * deletions and comments left out), and a copy whose final text truly differs is refused; a PDF
 * whose page text changed is refused as well (pdftotext), and so is a DOC (word-extractor). The
 * same check running inside the service on every cleaned document is exercised by
 * remove-office.test.ts and remove-epub.test.ts, whose documents must come back 200.
 */

const M: ReviewMarkers = { comment: "FTXTcomment", author: "FTXTauthor", deleted: "FTXTdeleted", inserted: "FTXTinserted" };
const FORMAT: Record<ReviewKind, TextFormat> = { docx: "ooxml", xlsx: "ooxml", pptx: "ooxml", odt: "opendocument" };
const BODY: Record<ReviewKind, string> = { docx: "word/document.xml", xlsx: "xl/worksheets/sheet1.xml", pptx: "ppt/slides/slide1.xml", odt: "content.xml" };

let dir: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "final-text-"));
});

afterAll(async () => {
  if (dir != null) await fsp.rm(dir, { recursive: true, force: true });
});

async function save(bytes: Buffer, name: string): Promise<string> {
  const file = path.join(dir, `${crypto.randomUUID()}-${name}`);
  await fsp.writeFile(file, bytes);
  return file;
}

/** The same package with one part's XML changed. */
async function withPart(bytes: Buffer, part: string, change: (xml: string) => string): Promise<Buffer> {
  const { members } = await readZip(bytes);
  const parts: Part[] = members.map((m) => [m.name, m.name === part ? change(m.data.toString("utf8")) : m.data]);
  return zip(parts);
}

function digestOf(text: readonly string[]): string {
  return crypto.createHash("sha256").update(text.join("").replace(/\s+/gu, ""), "utf8").digest("hex");
}

describe("final text of a document under review", () => {
  for (const kind of ["docx", "xlsx", "pptx", "odt"] as const) {
    test(`${kind}: read apart from the cleaner, it is the hand-written final text (insertions in, deletions and comments out)`, async () => {
      const fx = await makeReviewed(kind, M);
      const texts = await finalText(await save(fx.bytes, `doc.${kind}`), FORMAT[kind]);
      const withText = [...texts].filter(([, t]) => t.chars > 0);
      expect(withText.map(([name]) => name)).toEqual([BODY[kind]]);
      expect(texts.get(BODY[kind])!.digest).toBe(digestOf(fx.finalText));
    });
  }

  test("docx: a copy whose deleted passage came back is refused, naming the part", async () => {
    const fx = await makeReviewed("docx", M);
    const original = await save(fx.bytes, "doc.docx");
    const restored = await withPart(fx.bytes, BODY.docx, (xml) => xml.replace(/<w:del ([^>]*)>/g, "<w:ins $1>").replace(/<\/w:del>/g, "</w:ins>").replace(/w:delText/g, "w:t"));
    const err = await checkSameFinalText(original, await save(restored, "restored.docx"), "ooxml").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadFileError);
    expect(String((err as Error).cause)).toContain("word/document.xml");
  });

  test("docx: a copy that lost an inserted word is refused; one without its comment parts is not", async () => {
    const fx = await makeReviewed("docx", M);
    const original = await save(fx.bytes, "doc.docx");
    const lost = await withPart(fx.bytes, BODY.docx, (xml) => xml.replace(`${M.inserted} `, ""));
    await expect(checkSameFinalText(original, await save(lost, "lost.docx"), "ooxml")).rejects.toBeInstanceOf(BadFileError);
    const { members } = await readZip(fx.bytes);
    const noComments = await zip(members.filter((m) => !fx.reviewParts.includes(m.name)).map((m): Part => [m.name, m.data]));
    await expect(checkSameFinalText(original, await save(noComments, "no-comments.docx"), "ooxml")).resolves.toBeUndefined();
  });

  test("odt: a copy showing the tracked deletion in its body is refused; one without the change regions is not", async () => {
    const fx = await makeReviewed("odt", M);
    const original = await save(fx.bytes, "doc.odt");
    const shown = await withPart(fx.bytes, BODY.odt, (xml) => xml.replace("<text:p>Alpha ", `<text:p>${M.deleted} Alpha `));
    await expect(checkSameFinalText(original, await save(shown, "shown.odt"), "opendocument")).rejects.toBeInstanceOf(BadFileError);
    const accepted = await withPart(fx.bytes, BODY.odt, (xml) => xml.replace(/<text:tracked-changes.*<\/text:tracked-changes>/s, "").replace(/<office:annotation .*<\/office:annotation>/s, ""));
    await expect(checkSameFinalText(original, await save(accepted, "accepted.odt"), "opendocument")).resolves.toBeUndefined();
  });

  test("xlsx: a part whose bytes from its root on are the copy's passes whatever its prolog; one letter changed after it, or a DTD before it, is refused", async () => {
    const fx = await makeReviewed("xlsx", M);
    const original = await save(fx.bytes, "doc.xlsx");
    const body = (xml: string): string => xml.slice(xml.indexOf("<worksheet"));
    // A byte-order mark, Excel's line end, a comment and a processing instruction: no text.
    const prolog = await withPart(fx.bytes, BODY.xlsx, (xml) => `\uFEFF<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<!-- <worksheet>${M.deleted}</worksheet> --><?pi x?>\n${body(xml)}`);
    await expect(checkSameFinalText(original, await save(prolog, "prolog.xlsx"), "ooxml")).resolves.toBeUndefined();
    const changed = await withPart(fx.bytes, BODY.xlsx, (xml) => xml.replace(">Alpha<", ">alpha<"));
    const err = await checkSameFinalText(original, await save(changed, "changed.xlsx"), "ooxml").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadFileError);
    expect(String((err as Error).cause)).toContain(BODY.xlsx);
    const dtd = await withPart(fx.bytes, BODY.xlsx, (xml) => `<!DOCTYPE worksheet [<!ENTITY x "${M.deleted}">]>${body(xml)}`);
    await expect(checkSameFinalText(original, await save(dtd, "dtd.xlsx"), "ooxml")).rejects.toBeInstanceOf(BadFileError);
  });

  test("xlsx: a part is read in the encoding its declaration names: its bytes kept under a UTF-8 declaration instead of ISO-8859-1 are refused, its text re-encoded in UTF-8 passes, and so does an ASCII part", async () => {
    const fx = await makeReviewed("xlsx", M);
    const { members } = await readZip(fx.bytes);
    const sheet = members.find((m) => m.name === BODY.xlsx)!.data.toString("utf8");
    const declared = (encoding: string, xml: string): string => `<?xml version="1.0" encoding="${encoding}"?>${xml.slice(xml.indexOf("<worksheet"))}`;
    const withSheet = async (bytes: Buffer, name: string): Promise<string> =>
      save(await zip(members.map((m): Part => [m.name, m.name === BODY.xlsx ? bytes : m.data])), name);
    const cafe = sheet.replace(">Alpha<", ">Caf\u00e9 Ã©<");
    const latin = await withSheet(Buffer.from(declared("ISO-8859-1", cafe), "latin1"), "latin.xlsx");
    // The same bytes (é as one byte 0xE9, Ã© as the two bytes UTF-8 reads as é) from the root on, declared UTF-8: other text.
    const relabelled = await withSheet(Buffer.from(declared("UTF-8", cafe), "latin1"), "relabelled.xlsx");
    const err = await checkSameFinalText(latin, relabelled, "ooxml").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadFileError);
    expect(String((err as Error).cause)).toContain(BODY.xlsx);
    const reencoded = await withSheet(Buffer.from(declared("UTF-8", cafe), "utf8"), "reencoded.xlsx");
    await expect(checkSameFinalText(latin, reencoded, "ooxml")).resolves.toBeUndefined();
    const ascii = await withSheet(Buffer.from(declared("ISO-8859-1", sheet), "latin1"), "ascii.xlsx");
    await expect(checkSameFinalText(ascii, await withSheet(Buffer.from(declared("UTF-8", sheet), "utf8"), "ascii-utf8.xlsx"), "ooxml")).resolves.toBeUndefined();
  });

  test("xlsx: a part the same in both copies is not parsed again (one cut short passes here: refusing it is the rewrite's job), a differing one is", async () => {
    const fx = await makeReviewed("xlsx", M);
    const cut = await withPart(fx.bytes, BODY.xlsx, (xml) => xml.slice(0, xml.indexOf("</sheetData>")));
    const file = await save(cut, "cut.xlsx");
    await expect(checkSameFinalText(file, file, "ooxml")).resolves.toBeUndefined();
    const err = await checkSameFinalText(file, await save(fx.bytes, "whole.xlsx"), "ooxml").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadFileError);
    expect(String((err as Error).cause)).toContain(BODY.xlsx);
  });
});

describe("page text of a PDF", () => {
  test("the same PDF passes; one whose page text changed (same length, so still a valid file) is refused", async () => {
    const file = await makeMarkedPdf(dir, "plain", "FTXTpdfmark");
    // It resolves to the pages pdftotext read in the copy (one here).
    await expect(checkSamePdfText(file, file)).resolves.toBe(1);
    const bytes = await fsp.readFile(file);
    const at = bytes.indexOf(PDF_TEXT);
    expect(at).toBeGreaterThan(0);
    const changed = Buffer.from(bytes);
    changed.write(PDF_TEXT.toUpperCase(), at, "latin1");
    const changedFile = await save(changed, "changed.pdf");
    const err = await checkSamePdfText(file, changedFile).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadFileError);
    expect(String((err as Error).cause)).toContain("the pages' text");
    // As the cleaner calls it: the original's text read beforehand, alongside the cleaning.
    await expect(checkSamePdfText(pageText(file), file)).resolves.toBe(1);
    await expect(checkSamePdfText(pageText(file), changedFile)).rejects.toBeInstanceOf(BadFileError);
  });
});

describe("text of an Office 97-2003 document", () => {
  test("the same DOC passes; one whose body text changed (same length) is refused", async () => {
    const file = await makeMarkedLegacyOffice(dir, "doc", "FTXTlegacymark");
    await expect(checkSameLegacyText(file, file, "DOC")).resolves.toBeUndefined();
    const bytes = await fsp.readFile(file);
    // Word keeps 8-bit text as single bytes, other text as UTF-16.
    const word = "Hello body text";
    const at = [bytes.indexOf(Buffer.from(word, "latin1")), bytes.indexOf(Buffer.from(word, "utf16le"))].find((i) => i >= 0) ?? -1;
    expect(at).toBeGreaterThan(0);
    const changed = Buffer.from(bytes);
    changed[at] = "J".charCodeAt(0);
    const err = await checkSameLegacyText(file, await save(changed, "changed.doc"), "DOC").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadFileError);
    expect(String((err as Error).cause)).toContain("the DOC's text");
  });

  test("a DOC with text blanked in place passes only when the blanked characters are those declared removed", async () => {
    const { file } = await makeReviewedDoc(dir, "odt", M);
    const bytes = await fsp.readFile(file);
    const blank = (b: Buffer, text: string): void => {
      const at = b.indexOf(Buffer.from(text, "utf16le"));
      expect(at).toBeGreaterThan(0);
      b.fill(Buffer.from(" ", "utf16le"), at, at + text.length * 2);
    };
    const comment = Buffer.from(bytes);
    blank(comment, `${M.comment} annotation`);
    const commentFile = await save(comment, "comment.doc");
    await expect(checkSameLegacyText(file, commentFile, "DOC", `${M.comment}annotation`)).resolves.toBeUndefined();
    // Undeclared: the same copy is refused when nothing, or something else, was declared removed.
    await expect(checkSameLegacyText(file, commentFile, "DOC")).rejects.toBeInstanceOf(BadFileError);
    await expect(checkSameLegacyText(file, commentFile, "DOC", `${M.deleted}deleted`)).rejects.toBeInstanceOf(BadFileError);
    // Body text blanked beyond what was declared.
    const more = Buffer.from(comment);
    blank(more, "Beta");
    const err = await checkSameLegacyText(file, await save(more, "more.doc"), "DOC", `${M.comment}annotation`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadFileError);
    expect(String((err as Error).cause)).toContain("lost a character the cleaner did not remove");
  });

  test("a Chinese and Japanese DOC (UTF-16 without ASCII) blanked in its comment passes when declared; a body character blanked is refused", async () => {
    const m = { comment: cjkMarker(), deleted: cjkMarker(), inserted: cjkMarker(), author: cjkMarker() };
    const { file } = await makeCjkReviewedDoc(dir, m);
    const bytes = await fsp.readFile(file);
    const at = bytes.indexOf(Buffer.from(m.comment, "utf16le"));
    expect(at).toBeGreaterThan(0);
    const comment = Buffer.from(bytes);
    comment.fill(Buffer.from(" ", "utf16le"), at, at + m.comment.length * 2);
    const commentFile = await save(comment, "cjk-comment.doc");
    await expect(checkSameLegacyText(file, commentFile, "DOC", m.comment)).resolves.toBeUndefined();
    await expect(checkSameLegacyText(file, commentFile, "DOC")).rejects.toBeInstanceOf(BadFileError);
    // One ideograph of the body's first paragraph blanked as well, undeclared.
    const body = Buffer.from(comment);
    const word = body.indexOf(Buffer.from("日本語", "utf16le"));
    expect(word).toBeGreaterThan(0);
    body.write(" ", word, "utf16le");
    const err = await checkSameLegacyText(file, await save(body, "cjk-body.doc"), "DOC", m.comment).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadFileError);
    expect(String((err as Error).cause)).toContain("lost a character the cleaner did not remove");
  });
});
