import fs from "node:fs";
import { once } from "node:events";
import { SaxesParser, type SaxesTagNS } from "saxes";
import { throwIfTaskStopped } from "../../isolation/worker-channel.js";
import { BadFileError, TooComplexError } from "../errors.js";
import { isSettledError } from "../unpack-guards.js";
import { refuseInternalSubset } from "./doctype.js";

/**
 * How much XML one part may hold. The parts are read as a stream, so memory does not grow with
 * them; these bound the time and the parser's own state. Real documents nest a few dozen levels
 * (libxml2, and so LibreOffice, refuses past 256), and a very large spreadsheet sheet holds a few
 * million elements and attributes (100,000 rows of 8 cells written by LibreOffice: 4.8 million, in
 * 45 MB). What a whole document may hold is bounded by its size (zip-read.ts, markupBudget).
 */
export interface XmlLimits {
  maxDepth: number;
  /** Elements and attributes together. */
  maxNodes: number;
  maxAttributesPerElement: number;
}

export const STREAM_LIMITS: XmlLimits = { maxDepth: 1000, maxNodes: 10_000_000, maxAttributesPerElement: 10_000 };

export interface XmlAttr {
  readonly name: string;
  readonly uri: string;
  readonly local: string;
  value: string;
}

/** An element as the rules see it at its start tag; they may change its attributes. */
export interface XmlElement {
  readonly name: string;
  readonly uri: string;
  readonly local: string;
  attrs: XmlAttr[];
  /** A note the rules leave on an open element for themselves (e.g. "its row was deleted"). */
  note?: string;
}

/**
 * What becomes of an element: kept; dropped with all it holds; unwrapped (its content stays in its
 * place, its tags go); or captured, kept in memory until its end so that the rules can decide then
 * (see `XmlRules.close`).
 */
export type Verdict = "keep" | "drop" | "unwrap" | "capture";

/** One direct child of a captured element, as it will be written (null `el`: text). */
export interface Piece {
  el: XmlElement | null;
  out: string;
}

export interface Captured {
  start: string;
  pieces: Piece[];
  end: string;
}

export interface XmlRules {
  /** Decides at an element's start tag; `parents` are the open elements, innermost last. */
  open(el: XmlElement, parents: readonly XmlElement[]): Verdict;
  /** The text to write in place of a text node (default: the same). */
  text?(text: string, parents: readonly XmlElement[]): string;
  /** At the end of a captured element: what to write in its place (default: all of it). */
  close?(el: XmlElement, parents: readonly XmlElement[], captured: Captured): string | undefined;
  /**
   * Output the rules held back (a captured element they chose to place later), to be written at
   * the current point: asked before anything else is written at that point.
   */
  takePending?(): string;
  /** Sees the attribute values of each element inside a dropped one, which `open` is not asked about. */
  inDropped?(attrValues: string[]): void;
}

interface Frame {
  el: XmlElement;
  verdict: Exclude<Verdict, "drop">;
  /** Where this element's own output goes. */
  out: string[];
  /** For a captured element: its start tag and its children's pieces. */
  start?: string;
  pieces?: Piece[];
  selfClosing: boolean;
}

/**
 * The file that holds the clean part: `output`, where `input` is rewritten (see rewriteXml), or
 * `input` itself when the rules changed nothing in it (no element, attribute or text changed, no
 * comment, no DOCTYPE): its bytes as they were, which the final-text proof then compares as bytes instead of
 * parsing both copies again (final-text.ts). The rewrite writes text as it escapes it, so a part
 * left as it was still differed there (LibreOffice's `&quot;` in a sheet's header became `"`):
 * the proof of 100,000 rows of 8 cells parsed 2 x 46 MB. Null when the rules dropped the root: the
 * part goes.
 */
export async function rewritePart(input: string, output: string, part: string, rules: XmlRules, limits: XmlLimits = STREAM_LIMITS): Promise<string | null> {
  const outcome = await rewriteXml(input, output, part, rules, limits);
  return outcome === "dropped" ? null : outcome === "same" ? input : output;
}

/**
 * Rewrites an XML part as a stream: every element passes through `rules`, comments go (neither
 * OOXML nor OpenDocument gives them a meaning, and tools leave their names in them), a DTD of
 * the part's own is refused and a DOCTYPE naming an external one dropped (doctype.ts), and the
 * result is UTF-8. Resolves to "dropped" when the rules dropped the root (the part goes),
 * "same" when they changed nothing in it.
 */
async function rewriteXml(input: string, output: string, part: string, rules: XmlRules, limits: XmlLimits): Promise<"dropped" | "changed" | "same"> {
  const sink: string[] = [];
  const stack: Frame[] = [];
  const parents: XmlElement[] = [];
  let skipping = 0;
  let nodes = 0;
  let attrsHere = 0;
  let rootDropped = false;
  let sawRoot = false;
  let changed = false;
  const parser = new SaxesParser({ xmlns: true, position: false });

  /** The output of the pieces of captured elements still open, joined when they end. */
  const pieceBuffers = new Map<Piece, string[]>();
  /** Where output at the current point goes: a new piece of a captured parent, or the stream. */
  const route = (el: XmlElement | null): string[] => {
    for (let i = stack.length - 1; i >= 0; i--) {
      const f = stack[i]!;
      if (f.verdict === "unwrap") continue;
      if (f.verdict === "capture") {
        const piece: Piece = { el, out: "" };
        const buf: string[] = [];
        f.pieces!.push(piece);
        pieceBuffers.set(piece, buf);
        return buf;
      }
      return f.out;
    }
    return sink;
  };
  const seal = (pieces: Piece[]): void => {
    for (const p of pieces) {
      const buf = pieceBuffers.get(p);
      if (buf != null) {
        p.out = buf.join("");
        pieceBuffers.delete(p);
      }
    }
  };

  const writePending = (): void => {
    const pending = rules.takePending?.() ?? "";
    if (pending === "") return;
    changed = true;
    route(null).push(pending);
  };

  parser.on("xmldecl", (d) => {
    sink.push(`<?xml version="${d.version ?? "1.0"}" encoding="UTF-8"${d.standalone != null ? ` standalone="${d.standalone}"` : ""}?>\n`);
  });
  parser.on("doctype", (doctype) => {
    refuseInternalSubset(doctype, part);
    changed = true;
  });
  parser.on("processinginstruction", (pi) => {
    if (skipping > 0) return;
    route(null).push(`<?${pi.target}${pi.body === "" ? "" : ` ${pi.body}`}?>`);
  });
  parser.on("opentagstart", () => {
    attrsHere = 0;
    if (++nodes > limits.maxNodes) throw new TooComplexError(`${part} holds too many XML elements`);
    if (stack.length + skipping >= limits.maxDepth) throw new TooComplexError(`${part} nests XML too deeply`);
  });
  parser.on("attribute", () => {
    if (++nodes > limits.maxNodes) throw new TooComplexError(`${part} holds too many XML elements`);
    if (++attrsHere > limits.maxAttributesPerElement) throw new TooComplexError(`${part} holds an element with too many attributes`);
  });
  parser.on("opentag", (tag: SaxesTagNS) => {
    if (skipping > 0) {
      skipping++;
      rules.inDropped?.(Object.values(tag.attributes).map((a) => a.value));
      return;
    }
    const el: XmlElement = {
      name: tag.name,
      uri: tag.uri,
      local: tag.local,
      attrs: Object.values(tag.attributes).map((a) => ({ name: a.name, uri: a.uri, local: a.local, value: a.value })),
    };
    const isRoot = !sawRoot;
    sawRoot = true;
    const verdict = rules.open(el, parents);
    if (verdict !== "keep" || attrsChanged(el.attrs, tag)) changed = true;
    if (verdict === "drop") {
      skipping = 1;
      if (isRoot) rootDropped = true;
      return;
    }
    writePending();
    const out = verdict === "unwrap" ? [] : route(el);
    const startTag = verdict === "unwrap" ? "" : `<${el.name}${attrsText(el.attrs)}${tag.isSelfClosing ? "/>" : ">"}`;
    const frame: Frame = { el, verdict, out, selfClosing: tag.isSelfClosing };
    if (verdict === "capture") {
      frame.start = startTag;
      frame.pieces = [];
    } else {
      out.push(startTag);
    }
    stack.push(frame);
    parents.push(el);
  });
  parser.on("closetag", () => {
    if (skipping > 0) {
      skipping--;
      return;
    }
    // What was held back inside this element belongs before its end tag.
    writePending();
    const frame = stack.pop()!;
    parents.pop();
    const end = frame.verdict === "unwrap" || frame.selfClosing ? "" : `</${frame.el.name}>`;
    if (frame.verdict === "capture") {
      seal(frame.pieces!);
      const captured: Captured = { start: frame.start!, pieces: frame.pieces!, end };
      const written = rules.close?.(frame.el, parents, captured);
      frame.out.push(written ?? captured.start + captured.pieces.map((p) => p.out).join("") + end);
    } else {
      frame.out.push(end);
    }
  });
  const onText = (raw: string): void => {
    if (skipping > 0 || stack.length === 0) return;
    writePending();
    const text = rules.text?.(raw, parents) ?? raw;
    if (text !== raw) changed = true;
    if (text !== "") route(null).push(escapeText(text));
  };
  parser.on("text", onText);
  parser.on("cdata", onText);
  parser.on("comment", () => {
    changed = true;
  });

  const file = fs.createWriteStream(output, { flags: "wx", highWaterMark: 1 << 20 });
  // Written in large chunks: a wait for the disk per small chunk would cost more than the parsing.
  const flush = async (force: boolean): Promise<void> => {
    if (sink.length === 0 || (!force && sink.length < 4096)) return;
    const chunk = sink.join("");
    sink.length = 0;
    if (!file.write(chunk, "utf8")) await once(file, "drain");
  };
  try {
    const decoder = await decoderFor(input, part);
    for await (const chunk of fs.createReadStream(input, { highWaterMark: 64 * 1024 })) {
      throwIfTaskStopped();
      parser.write(decode(decoder, chunk as Buffer, part, true));
      await flush(false);
    }
    parser.write(decode(decoder, Buffer.alloc(0), part, false));
    parser.close();
    await flush(true);
  } catch (err) {
    // The part is abandoned: a write still in flight fails once the stream is gone, and that
    // failure must not outlive this one.
    file.on("error", () => undefined).destroy();
    if (isSettledError(err)) throw err;
    throw new BadFileError("The document holds a damaged XML part.", new Error(`${part}: ${String(err)}`));
  }
  file.end();
  await once(file, "finish");
  return rootDropped ? "dropped" : changed ? "changed" : "same";
}

/** Whether the rules changed an element's attributes from those the parser read (`tag`'s). */
function attrsChanged(attrs: readonly XmlAttr[], tag: SaxesTagNS): boolean {
  const read = tag.attributes;
  return attrs.length !== Object.keys(read).length || attrs.some((a) => read[a.name]?.value !== a.value);
}

/** The decoder for the part's bytes: UTF-16 by its byte-order mark, else UTF-8. */
async function decoderFor(input: string, part: string): Promise<TextDecoder> {
  const fh = await fs.promises.open(input, "r");
  try {
    const head = Buffer.alloc(2);
    await fh.read(head, 0, 2, 0);
    if (head[0] === 0xff && head[1] === 0xfe) return new TextDecoder("utf-16le", { fatal: true });
    if (head[0] === 0xfe && head[1] === 0xff) return new TextDecoder("utf-16be", { fatal: true });
    // TextDecoder drops a UTF-8 byte-order mark itself.
    return new TextDecoder("utf-8", { fatal: true });
  } catch (err) {
    throw new BadFileError("The document holds a damaged XML part.", new Error(`${part}: ${String(err)}`));
  } finally {
    await fh.close();
  }
}

function decode(decoder: TextDecoder, bytes: Buffer, part: string, more: boolean): string {
  try {
    return decoder.decode(bytes, { stream: more });
  } catch (err) {
    throw new BadFileError("The document holds a damaged XML part.", new Error(`${part}: ${String(err)}`));
  }
}

function attrsText(attrs: readonly XmlAttr[]): string {
  return attrs.map((a) => ` ${a.name}="${escapeAttr(a.value)}"`).join("");
}

function escapeText(s: string): string {
  return s.replace(/[&<>\r]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&#13;"));
}

const ATTR_ESCAPES: Readonly<Record<string, string>> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;" };

/**
 * Tabs and line ends are escaped so that they survive attribute-value normalisation, and `>` so
 * that a start tag ends at its first `>` (the rules look into captured output).
 */
function escapeAttr(s: string): string {
  return s.replace(/[&<>"\t\n\r]/g, (c) => ATTR_ESCAPES[c]!);
}

