import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarker } from "./helpers/marker-scan.js";
import {
  assemblePdf,
  ATTACHED_PHOTO,
  ATTACHED_REPORT,
  ORIGINAL_ID,
  PDF_TEXT,
  type PdfVariant,
  E_INVOICE_NAME,
  FACTUR_X_DECLARATION,
  REVIEW_SUBTYPES,
  SCRIPT_COUNT,
  attachedFiles,
  fileSpecs,
  makeMarkedPdf,
  facturXInvoice,
  makeEInvoicePdf,
  makePdfWithAttachments,
  makePdfWithCmykJpeg,
  makePdfWithReviewAnnotations,
  makePdfWithScripts,
  markedFont,
  pageAnnotations,
  pdfContent,
} from "./helpers/make-pdf.js";
import { minimalTextPdf } from "./helpers/make-files.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, postFile, startServer } from "./helpers/server.js";
import { exiftool, pixelSignature, run } from "./helpers/tools.js";

/** A hash of the pages drawn with their annotations (fields, links) as a viewer shows them. */
async function renderedWithAnnotations(file: string): Promise<string> {
  return crypto.createHash("sha256").update((await run("pdftoppm", ["-r", "36", file])).stdout).digest("hex");
}

let server: RunningServer;
let dir: string;
const MARKER = `Pdfmark${crypto.randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-remove-pdf-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const variants: PdfVariant[] = ["plain", "object-streams", "encrypted"];

describe("POST /api/v1/remove on PDFs", () => {
  it.each(variants)("leaves no metadata and no older revision in a %s PDF, and keeps its text", async (variant) => {
    const file = await makeMarkedPdf(dir, variant, MARKER);
    const before = await pdfContent(file);
    expect(before.text).toContain(PDF_TEXT);
    if (variant !== "encrypted") expect(await findMarker(file, MARKER)).not.toEqual([]);

    const { status, body, cleaned } = await removeViaApi(server, file, "report.pdf");
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body["remaining"]).toEqual({});
    expect(body["removed"]).toMatchObject({ pdf: expect.any(Number) });
    expect(cleaned).not.toBeNull();

    const out = path.join(dir, `cleaned-${variant}.pdf`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pdfContent(out)).toEqual(before);
    // The original's permanent /ID is a fingerprint linking the copy to its source.
    expect(cleaned!.includes(ORIGINAL_ID)).toBe(false);
    // One revision only, and a file qpdf finds sound.
    expect(cleaned!.toString("latin1").match(/%%EOF/g)).toHaveLength(1);
    await run("qpdf", ["--check", out]);
  });

  it("counts the tags of a page's JPEG picture once (ExifTool's read of the PDF reads it; the picture is not read again)", async () => {
    const file = await makeMarkedPdf(dir, "plain", MARKER);
    const read = JSON.parse(await exiftool(["-j", "-G0", "-u", "-ee", file])) as Array<Record<string, unknown>>;
    const exifTags = Object.keys(read[0]!).filter((k) => k.startsWith("EXIF:")).length;
    expect(exifTags).toBeGreaterThan(3);
    const { status, body } = await removeViaApi(server, file, "report.pdf");
    expect(status, JSON.stringify(body)).toBe(200);
    expect((body["removed"] as Record<string, number>)["exif"]).toBe(exifTags);
  });

  it("reads each of several JPEG pictures on its own (the PDF's read lists their tags once), and cleans them all", async () => {
    const one = await makeMarkedPdf(dir, "plain", MARKER);
    const copy = path.join(dir, "same-again.pdf");
    await fs.copyFile(one, copy);
    // Pages of two files: two picture objects (pages of one file twice would share one).
    const two = path.join(dir, "two-pictures.pdf");
    await run("qpdf", ["--empty", "--pages", one, copy, "--", two]);
    const read = JSON.parse(await exiftool(["-j", "-G0", "-u", "-ee", one])) as Array<Record<string, unknown>>;
    const exifTags = Object.keys(read[0]!).filter((k) => k.startsWith("EXIF:")).length;
    const { status, body, cleaned } = await removeViaApi(server, two, "report.pdf");
    expect(status, JSON.stringify(body)).toBe(200);
    expect((body["removed"] as Record<string, number>)["exif"]).toBeGreaterThanOrEqual(2 * exifTags);
    const out = path.join(dir, "two-pictures.cleaned.pdf");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
  });

  it("cleans a JPEG image whose dictionary is damaged (found by the fuzz run)", async () => {
    const file = await makeMarkedPdf(dir, "plain", MARKER);
    const bytes = await fs.readFile(file);
    const at = bytes.indexOf("/Filter /DCTDecode");
    expect(at).toBeGreaterThan(0);
    // Same length, so every xref offset still holds: only the key's name is wrong.
    bytes.write("/Fimter", at, "latin1");
    const damaged = path.join(dir, "damaged-filter.pdf");
    await fs.writeFile(damaged, bytes);

    const { status, body, cleaned } = await removeViaApi(server, damaged, "report.pdf");
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, "cleaned-damaged-filter.pdf");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
  });

  /**
   * Same-length renames (every xref offset still holds), as the fuzz run's bit flips made them:
   * the key leading to the metadata is damaged, the metadata itself is not.
   */
  const damagedKeys: Array<[string, Array<[string, string]>]> = [
    ["the catalog's /Perms and the signature field's /FT", [["/Perms <<", "/Perns <<"], ["/FT /Sig", "/FT /Sog"]]],
    ["the same, and the signature's own /Type", [["/Perms <<", "/Perns <<"], ["/FT /Sig", "/FT /Sog"], ["/Type /Sig", "/Type /Sog"]]],
    ["an annotation's /Rect", [["/Rect [300", "/Rdct [300"]]],
    ["the page's /PieceInfo", [["/PieceInfo", "/PieceIffo"]]],
    ["the trailer's /Info", [["/Info ", "/Infp "]]],
    ["every /Metadata key and every XMP stream's /Type", [["/Metadata ", "/Metadatb "], ["/Type /Metadata", "/Type /Metadatb"]]],
  ];

  it.each(damagedKeys)("scrubs metadata reached through a damaged key: %s (found by the fuzz run)", async (what, renames) => {
    const file = await makeMarkedPdf(dir, "plain", MARKER);
    let text = (await fs.readFile(file)).toString("latin1");
    for (const [from, to] of renames) {
      expect(text, from).toContain(from);
      text = text.replaceAll(from, to);
    }
    const damaged = path.join(dir, `damaged-${what.replace(/\W+/g, "-")}.pdf`);
    await fs.writeFile(damaged, text, "latin1");

    const { status, body, cleaned } = await removeViaApi(server, damaged, "report.pdf");
    expect(status, JSON.stringify(body)).toBe(200);
    const out = `${damaged}.cleaned.pdf`;
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
  });

  it("refuses a PDF whose page content swallowed the next objects (found by the fuzz run)", async () => {
    const file = await makeMarkedPdf(dir, "plain", MARKER);
    const bytes = await fs.readFile(file);
    // Zeros from the page content's `endstream` to the page XMP's `obj` line: qpdf can only find
    // the content's end at the XMP's `endstream`, and the packet becomes page content.
    const from = bytes.indexOf("endstream", bytes.indexOf(PDF_TEXT));
    const to = bytes.indexOf("6 0 obj\n") + "6 0 obj\n".length;
    expect(from).toBeGreaterThan(0);
    expect(to).toBeGreaterThan(from);
    bytes.fill(0, from, to);
    const damaged = path.join(dir, "swallowed.pdf");
    await fs.writeFile(damaged, bytes);

    const { status, body, cleaned } = await removeViaApi(server, damaged, "report.pdf");
    expect(status).toBe(422);
    expect(body["error"]).toBe("The PDF is damaged and cannot be cleaned safely.");
    expect(cleaned).toBeNull();
  });

  it("still cleans a PDF with the everyday damage qpdf repairs: a stream length off by one, a wrong startxref", async () => {
    const file = await makeMarkedPdf(dir, "plain", MARKER);
    let text = (await fs.readFile(file)).toString("latin1");
    text = text.replace(/\/Length (\d+)( >>\nstream\nBT)/, (_m, n: string, rest: string) => `/Length ${String(Number(n) - 1).padStart(n.length, "0")}${rest}`);
    text = text.replace(/startxref\n(\d+)\n%%EOF\n$/, (_m, n: string) => `startxref\n${String(Number(n) - 7).padStart(n.length, "0")}\n%%EOF\n`);
    const damaged = path.join(dir, "repairable.pdf");
    await fs.writeFile(damaged, text, "latin1");
    const qpdfCheck = await run("qpdf", ["--check", damaged], { okCodes: [3] });
    expect(qpdfCheck.stderr).toMatch(/recovered stream length|reconstruct/);

    const { status, body, cleaned } = await removeViaApi(server, damaged, "report.pdf");
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, "cleaned-repairable.pdf");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await pdfContent(out)).text).toContain(PDF_TEXT);
  });

  it.each([
    ["0", () => "0"],
    ["half the page content's", (n: string) => String(Math.floor(Number(n) / 2))],
  ])("cleans a PDF whose page content declares a /Length of %s bytes, nothing swallowed (pdf.js's helloworld-bad.pdf, multiple-filters-length-zero.pdf)", async (what, length) => {
    const file = await makeMarkedPdf(dir, "plain", MARKER);
    const text = (await fs.readFile(file)).toString("latin1");
    const short = text.replace(/\/Length (\d+)( >>\nstream\nBT)/, (_m, n: string, rest: string) => `/Length ${length(n).padStart(n.length, "0")}${rest}`);
    expect(short).not.toBe(text);
    const damaged = path.join(dir, `short-length-${what.replace(/\W+/g, "-")}.pdf`);
    await fs.writeFile(damaged, short, "latin1");
    const qpdfCheck = await run("qpdf", ["--check", damaged], { okCodes: [3] });
    expect(qpdfCheck.stderr).toMatch(/recovered stream length/);

    const { status, body, cleaned } = await removeViaApi(server, damaged, "report.pdf");
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, `cleaned-short-length-${what.replace(/\W+/g, "-")}.pdf`);
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect((await pdfContent(out)).text).toContain(PDF_TEXT);
  });

  it("cleans a PDF whose page paints with an indexed colour space (ExifTool reads its palette's entries as tags)", async () => {
    const content = `/Cs1 cs 1 sc 10 10 100 50 re f BT /F1 14 Tf 20 100 Td (${PDF_TEXT}) Tj ET`;
    const file = path.join(dir, "indexed-colours.pdf");
    await fs.writeFile(
      file,
      assemblePdf(
        [
          "<< /Type /Catalog /Pages 2 0 R >>",
          "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
          "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 150] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> /ColorSpace << /Cs1 6 0 R >> >> >>",
          `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
          "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
          "[/Indexed /DeviceRGB 1 <000000ff0000>]",
          `<< /Author (${MARKER}) >>`,
        ],
        "/Info 7 0 R",
      ),
    );
    expect(await exiftool(["-G0", "-u", "-s", file])).toMatch(/PDF_DefaultRGB_0x/);

    const { status, body, cleaned } = await removeViaApi(server, file, "indexed.pdf");
    expect(status, JSON.stringify(body)).toBe(200);
    const out = path.join(dir, "cleaned-indexed-colours.pdf");
    await fs.writeFile(out, cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pdfContent(out)).toEqual(await pdfContent(file));
  });

  it("refuses a PDF that needs a password to open", async () => {
    const plain = path.join(dir, "to-lock.pdf");
    const locked = path.join(dir, "locked.pdf");
    await fs.writeFile(plain, minimalTextPdf("Locked"));
    await run("qpdf", ["--encrypt", "user-secret", "owner-secret", "256", "--", plain, locked]);
    const { status, body, cleaned } = await removeViaApi(server, locked);
    expect(status).toBe(422);
    expect(body["error"]).toBe("The PDF is password-protected and cannot be cleaned without its password.");
    expect(cleaned).toBeNull();
  });

  it("refuses a damaged PDF with a reason", async () => {
    const broken = path.join(dir, "broken.pdf");
    await fs.writeFile(broken, "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\nthis is not a PDF any more\n");
    const { status, body, cleaned } = await removeViaApi(server, broken);
    expect(status).toBe(422);
    expect(typeof body["error"]).toBe("string");
    expect(cleaned).toBeNull();
  });
});

describe("POST /api/v1/remove on what a PDF hides: attachments, review annotations, thread info", () => {
  /** The cleaned bytes of a 200 answer, written to a file of their own. */
  async function cleanedFile(name: string, outcome: { status: number; body: Record<string, unknown>; cleaned: Buffer | null }): Promise<string> {
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
    expect(outcome.body["remaining"]).toEqual({});
    const out = path.join(dir, `${name}-${crypto.randomUUID()}.pdf`);
    await fs.writeFile(out, outcome.cleaned!);
    return out;
  }

  async function writeTemp(name: string, data: Buffer): Promise<string> {
    const file = path.join(dir, `${crypto.randomUUID()}-${name}`);
    await fs.writeFile(file, data);
    return file;
  }

  /** Every file specification holds the file's name and its data, nothing else. */
  function expectNameOnly(specs: Array<Record<string, unknown>>, names: string[]): void {
    expect(specs.map((s) => s["/UF"]).sort()).toEqual(names.map((n) => `u:${n}`).sort());
    for (const spec of specs) {
      expect(Object.keys(spec).sort()).toEqual(["/EF", "/F", "/Type", "/UF"]);
      expect(spec["/F"]).toBe(spec["/UF"]);
    }
  }

  it("cleans every attached file by its own cleaner, a PDF attached to the PDF too, and keeps only their names (and how to open it)", async () => {
    const { file, photo } = await makePdfWithAttachments(dir, MARKER);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const before = await pdfContent(file);

    const outcome = await removeViaApi(server, file, "report.pdf");
    const out = await cleanedFile("attachments", outcome);
    // The photo and the PDF attached to the page; the paperclip annotation (review content).
    // Two attached here and the photo attached to the attached PDF; both photos' EXIF counted too.
    expect(outcome.body["removed"]).toMatchObject({ attachments: 3, annotations: 1, pdf: expect.any(Number), exif: expect.any(Number) });
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pdfContent(out)).toEqual(before);
    // The link stays; the reviewer's paperclip goes, and its file joins the document's attachments.
    expect((await pageAnnotations(out)).map((a) => a.subtype)).toEqual(["Link"]);
    expectNameOnly(await fileSpecs(out), [ATTACHED_PHOTO, ATTACHED_REPORT]);

    const files = await attachedFiles(out);
    expect([...files.keys()].sort()).toEqual([ATTACHED_REPORT, ATTACHED_PHOTO]);
    const attachedPhoto = await writeTemp(ATTACHED_PHOTO, files.get(ATTACHED_PHOTO)!);
    expect(await findMarker(attachedPhoto, MARKER)).toEqual([]);
    expect(await pixelSignature(attachedPhoto)).toBe(await pixelSignature(photo));

    // The attached PDF went through the PDF cleaner: its Info and its own attached photo.
    const report = await writeTemp(ATTACHED_REPORT, files.get(ATTACHED_REPORT)!);
    expect(await findMarker(report, MARKER)).toEqual([]);
    expect((await pdfContent(report)).text).toBe(before.text);
    const inner = await attachedFiles(report);
    expect([...inner.keys()]).toEqual([ATTACHED_PHOTO]);
    const innerPhoto = await writeTemp(ATTACHED_PHOTO, inner.get(ATTACHED_PHOTO)!);
    expect(await pixelSignature(innerPhoto)).toBe(await pixelSignature(photo));
    expectNameOnly(await fileSpecs(report), [ATTACHED_PHOTO]);
    await run("qpdf", ["--check", out]);

    // The article thread stays, its information gone: its bead still points to it.
    const objects = Object.values(JSON.parse((await run("qpdf", ["--json-output=2", "--json-key=qpdf", out, "-"])).stdout.toString("utf8")).qpdf[1] as Record<string, { value?: Record<string, unknown> }>);
    const thread = objects.find((o) => o.value?.["/Type"] === "/Thread")?.value;
    const bead = objects.find((o) => o.value?.["/Type"] === "/Bead")?.value;
    expect(thread).toBeDefined();
    expect(thread).not.toHaveProperty("/I");
    expect(bead?.["/T"]).toMatch(/^\d+ 0 R$/);
  });

  it("keeps an attachment annotation with keep=comments, its file cleaned and its author and date gone", async () => {
    const note = `Notetext${crypto.randomBytes(4).toString("hex")}`;
    const { file } = await makePdfWithAttachments(dir, MARKER, { note, nested: true });
    const outcome = await removeViaApi(server, file, "report.pdf", { keep: "comments" });
    const out = await cleanedFile("attachments-kept", outcome);
    expect(outcome.body["removed"]).toMatchObject({ attachments: 3 });
    expect(outcome.body["removed"]).not.toHaveProperty("annotations");
    expect(await findMarker(out, MARKER)).toEqual([]);
    // The comment's text is what keep=comments keeps.
    expect(await findMarker(out, note)).not.toEqual([]);
    const annots = await pageAnnotations(out);
    expect(annots.map((a) => a.subtype).sort()).toEqual(["FileAttachment", "Link"]);
    const clip = annots.find((a) => a.subtype === "FileAttachment")!;
    expect(clip.keys).toContain("/FS");
    expect(clip.keys).not.toContain("/T");
    expect(clip.keys).not.toContain("/M");
    expectNameOnly(await fileSpecs(out), [ATTACHED_PHOTO, ATTACHED_REPORT]);
    // Only the photo is in the document's list; the draft stays on its annotation.
    expect([...(await attachedFiles(out)).keys()]).toEqual([ATTACHED_PHOTO]);
  });

  it("refuses a PDF with an attached file no cleaner handles, naming its type", async () => {
    const { file } = await makePdfWithAttachments(dir, MARKER, { inner: markedFont(MARKER), nested: false });
    const { status, body, cleaned } = await removeViaApi(server, file, "report.pdf");
    expect(status).toBe(422);
    expect(body["error"]).toBe("The PDF holds an attached file that cannot be cleaned (TTF).");
    expect(cleaned).toBeNull();
  });

  it("removes review annotations by default and keeps links and form fields", async () => {
    const author = `Author${crypto.randomBytes(4).toString("hex")}`;
    const note = `Notetext${crypto.randomBytes(4).toString("hex")}`;
    const file = await makePdfWithReviewAnnotations(dir, author, note);
    const before = await pdfContent(file);
    expect((await pageAnnotations(file)).map((a) => a.subtype)).toEqual(expect.arrayContaining([...REVIEW_SUBTYPES, "Popup"]));

    const outcome = await removeViaApi(server, file, "reviewed.pdf");
    const out = await cleanedFile("reviewed", outcome);
    // Every markup kind and a reply; the note's pop-up window is part of the note.
    expect(outcome.body["removed"]).toMatchObject({ annotations: REVIEW_SUBTYPES.length + 1 });
    expect(await findMarker(out, author)).toEqual([]);
    expect(await findMarker(out, note)).toEqual([]);
    expect((await pageAnnotations(out)).map((a) => a.subtype)).toEqual(["Link", "Widget", "Link"]);
    // pdftotext also reads the comment box's text, which went with it: the page itself is the same.
    const after = await pdfContent(out);
    expect(after.text).not.toBe(before.text);
    const words = (text: string): string => text.replace(/\s+/g, " ").trim();
    expect(words(after.text)).toBe(words(before.text.replace(`FreeText ${note}`, "")));
    expect({ ...after, text: "" }).toEqual({ ...before, text: "" });
    // The form field still has its name and value.
    const form = await run("qpdf", ["--json", "--json-key=acroform", out]);
    expect(form.stdout.toString("utf8")).toContain('"fullname": "name"');
    expect(form.stdout.toString("utf8")).toContain('"value": "u:Jane"');
  });

  it("keeps review annotations with keep=comments, their authors and dates gone", async () => {
    const author = `Author${crypto.randomBytes(4).toString("hex")}`;
    const note = `Notetext${crypto.randomBytes(4).toString("hex")}`;
    const file = await makePdfWithReviewAnnotations(dir, author, note);
    const annotsBefore = await pageAnnotations(file);

    const outcome = await removeViaApi(server, file, "reviewed.pdf", { keep: "comments" });
    const out = await cleanedFile("reviewed-kept", outcome);
    expect(outcome.body["removed"]).not.toHaveProperty("annotations");
    expect(await findMarker(out, author)).toEqual([]);
    expect(await findMarker(out, note)).not.toEqual([]);
    const annots = await pageAnnotations(out);
    expect(annots.map((a) => a.subtype)).toEqual(annotsBefore.map((a) => a.subtype));
    for (const a of annots.filter((x) => x.subtype !== "Widget")) {
      expect(a.keys, a.subtype).not.toContain("/T");
      expect(a.keys, a.subtype).not.toContain("/M");
      expect(a.keys, a.subtype).not.toContain("/CreationDate");
    }
  });

  it("answers a removal with the findings an extraction gives (from the cleaner's own object read): review authors, attached files, JavaScript, the /ID, earlier revisions, in object streams and encrypted files too", async () => {
    const reviewed = await makePdfWithReviewAnnotations(dir, "Reviewer Roe", MARKER);
    // An incremental update on top: an earlier revision to find as well.
    await exiftool(["-q", "-overwrite_original", "-PDF:Title=Draft", reviewed]);
    const objectStreams = await makeMarkedPdf(dir, "object-streams", MARKER);
    const encrypted = await makeMarkedPdf(dir, "encrypted", MARKER);
    const files = [reviewed, (await makePdfWithAttachments(dir, MARKER)).file, await makePdfWithScripts(dir, MARKER), objectStreams, encrypted];
    const found = new Map<string, Array<{ kind: string; title: string; value?: string }>>();
    for (const file of files) {
      const extracted = await postFile(`${server.baseUrl}/api/v1/extract`, { name: "doc.pdf", data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey } });
      expect(extracted.status).toBe(200);
      const expected = ((await extracted.json()) as Record<string, unknown>)["findings"];
      const removed = await removeViaApi(server, file, "doc.pdf");
      expect(removed.status, JSON.stringify(removed.body)).toBe(200);
      expect(removed.body["findings"], path.basename(file)).toEqual(expected);
      found.set(file, removed.body["findings"] as Array<{ kind: string; title: string; value?: string }>);
    }
    const ofReviewed = found.get(reviewed) ?? [];
    expect(ofReviewed.find((f) => /review annotation/.test(f.title))?.value).toBe("Reviewer Roe");
    expect(ofReviewed.find((f) => /earlier revision/.test(f.title))?.value).toBe("1");
    expect(found.get(files[1]!)?.find((f) => /attached file/.test(f.title))).toBeDefined();
    expect(found.get(files[2]!)?.find((f) => /JavaScript/.test(f.title))).toBeDefined();
    expect(found.get(objectStreams)?.find((f) => f.kind === "identifiers" && /\/ID/.test(f.title))?.value).toBe(ORIGINAL_ID);
    // An encrypted file's strings are read decrypted by both: the annotation's author is the marker.
    expect(found.get(encrypted)?.find((f) => /review annotation/.test(f.title))?.value).toBe(MARKER);
    // Ten requests, two on an AES-256 file whose key ExifTool derives for seconds at each read: 49 s on a busy machine.
  }, 180_000);

  it("removes JavaScript wherever a viewer runs it, counted under removed.scripts; form fields, links and the jump on opening stay", async () => {
    const file = await makePdfWithScripts(dir, MARKER);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const before = await pdfContent(file);
    const annotsBefore = await pageAnnotations(file);

    const outcome = await removeViaApi(server, file, "form.pdf");
    const out = await cleanedFile("scripts", outcome);
    expect(outcome.body["removed"]).toMatchObject({ scripts: SCRIPT_COUNT });
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pdfContent(out)).toEqual(before);
    // Drawn with the fields and links too: they look the same.
    expect(await renderedWithAnnotations(out)).toBe(await renderedWithAnnotations(file));
    await run("qpdf", ["--check", out]);

    // The same links and fields; the links that ran a script have no action left.
    const annots = await pageAnnotations(out);
    expect(annots.map((a) => a.subtype)).toEqual(annotsBefore.map((a) => a.subtype));
    expect(annots.filter((a) => a.subtype === "Link").map((a) => a.keys.includes("/A"))).toEqual([false, false, true]);
    // Fields still fields, with their names, values and kinds.
    const form = JSON.parse((await run("qpdf", ["--json", "--json-key=acroform", out])).stdout.toString("utf8")) as {
      acroform: { fields: Array<{ fullname: string; fieldtype: string; value: unknown }> };
    };
    const fields = form.acroform.fields.map((f) => [f.fullname, f.fieldtype, f.value]);
    expect(fields).toEqual([
      ["name", "/Tx", "u:Jane"],
      ["send", "/Btn", null],
      ["total", "/Tx", "u:42"],
    ]);
    // What the opening script was followed by is what the document now does on opening.
    const objects = Object.values(JSON.parse((await run("qpdf", ["--json-output=2", "--json-key=qpdf", "--json-stream-data=none", out, "-"])).stdout.toString("utf8")).qpdf[1] as Record<string, { value?: Record<string, unknown> }>);
    const catalog = objects.find((o) => o.value?.["/Type"] === "/Catalog")?.value;
    expect(catalog?.["/OpenAction"]).toMatchObject({ "/S": "/GoTo" });
    expect(catalog?.["/Names"] ?? {}).not.toHaveProperty("/JavaScript");
    expect(objects.find((o) => o.value?.["/Title"] === "u:Figures")?.value).not.toHaveProperty("/A");
  });

  it("keeps an e-invoice's XML byte for byte (listed under remaining) and removes C2PA manifests (removed.provenance)", async () => {
    const file = await makeEInvoicePdf(dir, MARKER);
    expect(await findMarker(file, MARKER)).not.toEqual([]);
    const before = await pdfContent(file);

    const outcome = await removeViaApi(server, file, "invoice.pdf");
    expect(outcome.status, JSON.stringify(outcome.body)).toBe(200);
    // The invoice is the document's data: the client is told it came through unchanged.
    expect(outcome.body["remaining"]).toEqual({ attachments: { [E_INVOICE_NAME]: expect.stringMatching(/invoice.*unchanged/) } });
    expect(outcome.body["removed"]).toMatchObject({ provenance: 2, pdf: expect.any(Number) });
    expect(outcome.body["removed"]).not.toHaveProperty("attachments");
    const out = path.join(dir, `e-invoice-${crypto.randomUUID()}.pdf`);
    await fs.writeFile(out, outcome.cleaned!);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pdfContent(out)).toEqual(before);
    await run("qpdf", ["--check", out]);

    // Only the invoice is left attached, byte for byte, its specification reduced to its name
    // and its relationship to the document, and still among the document's associated files.
    const files = await attachedFiles(out);
    expect([...files.keys()]).toEqual([E_INVOICE_NAME]);
    expect(files.get(E_INVOICE_NAME)!.equals(facturXInvoice())).toBe(true);
    const specs = await fileSpecs(out);
    expect(specs).toHaveLength(1);
    expect(specs[0]).toMatchObject({ "/UF": `u:${E_INVOICE_NAME}`, "/AFRelationship": "/Alternative" });
    expect(Object.keys(specs[0]!).sort()).toEqual(["/AFRelationship", "/EF", "/F", "/Type", "/UF"]);
    const objects = Object.values(JSON.parse((await run("qpdf", ["--json-output=2", "--json-key=qpdf", "--json-stream-data=none", out, "-"])).stdout.toString("utf8")).qpdf[1] as Record<string, { value?: Record<string, unknown> }>);
    const catalog = objects.find((o) => o.value?.["/Type"] === "/Catalog")?.value;
    expect(catalog?.["/AF"]).toHaveLength(1);
    // The XMP still declares a PDF/A-3 Factur-X invoice (receivers and validators read it), and nothing else.
    // As text: JSON would turn the version "1.0" into the number 1.
    const lines = (await exiftool(["-S", "-XMP-pdfaid:all", "-XMP-fx:all", out])).trim().split("\n");
    expect(Object.fromEntries(lines.map((l) => l.split(": ", 2)))).toEqual(FACTUR_X_DECLARATION);
    const names = JSON.parse(await exiftool(["-j", "-XMP:all", "-G1", out]))[0] as Record<string, unknown>;
    expect(Object.keys(names).filter((k) => k.startsWith("XMP-")).map((k) => k.split(":")[0]).filter((g, i, all) => all.indexOf(g) === i).sort()).toEqual(["XMP-fx", "XMP-pdfaExtension", "XMP-pdfaid"]);
  });

  it("cleans a PDF whose picture is a CMYK JPEG with an Adobe APP14 segment (refused before)", async () => {
    const file = await makePdfWithCmykJpeg(dir, MARKER);
    const before = await pdfContent(file);
    const outcome = await removeViaApi(server, file, "cmyk.pdf");
    const out = await cleanedFile("cmyk", outcome);
    expect(await findMarker(out, MARKER)).toEqual([]);
    expect(await pdfContent(out)).toEqual(before);
  });
});
