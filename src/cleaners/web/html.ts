import crypto from "node:crypto";
import fs from "node:fs";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { StringDecoder } from "node:string_decoder";
import { RewritingStream } from "parse5-html-rewriting-stream";
import { BadFileError, UnsupportedTypeError } from "../errors.js";
import { readHead } from "../file-bytes.js";
import type { CleanContext, Cleaner, FoundTag } from "../types.js";

/**
 * `<meta>` elements that change how the page is read or shown, kept: its character set, its
 * `http-equiv` directives a browser obeys, the mobile viewport. Every other one (author,
 * generator, description, keywords, Office's ProgId, Open Graph and Twitter cards, Dublin Core...)
 * describes the page or who made it, and goes.
 */
const KEPT_HTTP_EQUIV: ReadonlySet<string> = new Set(["content-type", "refresh", "default-style", "x-ua-compatible", "content-security-policy"]);
const KEPT_NAMES: ReadonlySet<string> = new Set(["viewport"]);
/** ExifTool's names for what stays: those directives and the page's title, which the page shows. */
const STRUCTURAL: ReadonlySet<string> = new Set(["ContentType", "Refresh", "DefaultStyle", "X-UA-Compatible", "Content-Security-Policy", "Viewport", "Title"]);
/** Structured data for search engines (JSON-LD: authors, dates, publisher), metadata by design. */
const JSON_LD = "application/ld+json";

/**
 * HTML pages (a saved page, the HTML Word imports through `altChunk`), rewritten token by token as
 * they stream through parse5's tokenizer, every other token copied as its source bytes: the
 * `<meta>` elements that describe the page, comments (where browsers note the address a page was
 * saved from, `<!-- saved from url=... -->`, and Office keeps its document properties, author and
 * last author, inside conditional comments) and JSON-LD blocks go; the text, markup, scripts and
 * styles stay. The bytes are read as Latin-1, one character per byte, so markup in any
 * ASCII-compatible encoding is found and everything else copied unchanged (ExifTool reads a page in
 * UTF-16 as text, which the plain-text cleaner refuses: text-forms.ts). A read of the copy then
 * proves its text is the original's.
 */
export const htmlCleaner: Cleaner = {
  name: "html",
  fileTypes: ["HTML", "XHTML"],
  async clean(ctx: CleanContext): Promise<void> {
    await refuseUtf16(ctx.input);
    const rewriter = new RewritingStream();
    let skipping = false;
    // An XHTML page's XML declaration (its encoding, for an XML parser) and processing
    // instructions (a style sheet) are comments to an HTML tokenizer: they stay.
    rewriter.on("comment", (_comment, raw) => {
      if (raw.startsWith("<?")) rewriter.emitRaw(raw);
    });
    rewriter.on("startTag", (tag, raw) => {
      if (opensJsonLd(tag)) skipping = true;
      else if (!skipping && !(tag.tagName === "meta" && !keepsMeta(tag.attrs))) rewriter.emitRaw(raw);
    });
    rewriter.on("endTag", (tag, raw) => {
      if (skipping && tag.tagName === "script") skipping = false;
      else if (!skipping) rewriter.emitRaw(raw);
    });
    rewriter.on("text", (_text, raw) => {
      if (!skipping) rewriter.emitRaw(raw);
    });
    await pipeline(fs.createReadStream(ctx.input, { encoding: "latin1" }), rewriter, latin1Bytes(), fs.createWriteStream(ctx.output, { flags: "wx" }));
    if ((await textDigest(ctx.input)) !== (await textDigest(ctx.output))) {
      throw new BadFileError("The file could not be cleaned without changing its content; it may be damaged.", new Error("html: the copy's text differs"));
    }
  },
  isStructural: (t: FoundTag) => t.group === "HTML" && STRUCTURAL.has(t.tag),
};

type Attributes = ReadonlyArray<{ name: string; value: string }>;

/** A start tag that opens a JSON-LD block, skipped to its end tag by the cleaning and by the proof alike. */
function opensJsonLd(tag: { tagName: string; attrs: Attributes; selfClosing: boolean }): boolean {
  return tag.tagName === "script" && attribute(tag.attrs, "type") === JSON_LD && !tag.selfClosing;
}

function attribute(attrs: Attributes, name: string): string | undefined {
  return attrs.find((a) => a.name === name)?.value.trim().toLowerCase();
}

function keepsMeta(attrs: Attributes): boolean {
  if (attribute(attrs, "charset") != null) return true;
  const equiv = attribute(attrs, "http-equiv");
  if (equiv != null) return KEPT_HTTP_EQUIV.has(equiv);
  const name = attribute(attrs, "name");
  return name != null && KEPT_NAMES.has(name);
}

async function refuseUtf16(file: string): Promise<void> {
  const head = await readHead(file, 2);
  if ((head[0] === 0xfe && head[1] === 0xff) || (head[0] === 0xff && head[1] === 0xfe)) throw new UnsupportedTypeError("HTML in UTF-16");
}

/**
 * The rewriter's text back to the page's bytes, one per character. It hands its strings on as
 * UTF-8 (a stream's default), a character maybe split between two chunks: decoded whole first.
 */
function latin1Bytes(): Transform {
  const utf8 = new StringDecoder("utf8");
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      done(null, Buffer.from(utf8.write(chunk), "latin1"));
    },
    flush(done) {
      done(null, Buffer.from(utf8.end(), "latin1"));
    },
  });
}

/** A digest of the page's text as a browser's tokenizer reads it (JSON-LD blocks aside), to compare the copy with the original. */
async function textDigest(file: string): Promise<string> {
  const hash = crypto.createHash("sha256");
  const reader = new RewritingStream();
  let skipping = false;
  reader.on("startTag", (tag) => {
    if (opensJsonLd(tag)) skipping = true;
  });
  reader.on("endTag", (tag) => {
    if (tag.tagName === "script") skipping = false;
  });
  reader.on("text", (text) => {
    if (!skipping) hash.update(text.text);
  });
  reader.on("comment", () => undefined);
  reader.on("doctype", () => undefined);
  await pipeline(fs.createReadStream(file, { encoding: "latin1" }), reader, async function* (source: AsyncIterable<unknown>) {
    for await (const _ of source) yield* [];
  });
  return hash.digest("hex");
}
