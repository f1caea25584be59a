/**
 * The header of an ASS/SSA subtitle track (in Matroska, the track's codec private data) reduced
 * to what renderers (libass, VSFilter) use. Editors write far more there: `Title`, `Original
 * Script` (the author), `Original Translation`, `Update Details`, `Script Updated By`, comment
 * lines, and Aegisub's `[Aegisub Project Garbage]` with the full paths of the author's audio and
 * video files. See http://www.tcax.org/docs/ass-specs.htm and libass's ass.c (process_info_line).
 */

/** `[Script Info]` keys that change how the subtitles are drawn. */
const RENDERING_KEYS = new Set(
  [
    "ScriptType", "PlayResX", "PlayResY", "LayoutResX", "LayoutResY", "PlayDepth", "WrapStyle",
    "ScaledBorderAndShadow", "YCbCr Matrix", "Kerning", "Collisions", "Timer",
  ].map((k) => k.toLowerCase()),
);

/** Sections that hold styles, the events' column list, and embedded fonts and pictures. */
const KEPT_SECTIONS = new Set(["[script info]", "[v4+ styles]", "[v4 styles]", "[v4 styles+]", "[events]", "[fonts]", "[graphics]"]);

export interface CleanedHeader {
  text: string;
  /** Lines removed (comments, editor fields, unknown sections). */
  dropped: number;
  /** `Comment:` events removed (with `dropCommentEvents`). */
  comments: number;
}

/** Kept lines are gathered into pieces of about this many characters, each made a buffer. */
const PIECE_CHARS = 64 * 1024;

/**
 * Keeps `[Script Info]` lines whose key renderers read, the style, event, font and graphics
 * sections whole (minus `;` comments, and with `dropCommentEvents` the `Comment:` events no
 * renderer draws), and drops every other section and line. Takes a whole .ass file as ffmpeg
 * writes a track out: sections an editor put after the events come back after them, so the events
 * pass through here unchanged too. The lines are walked, not split, and the kept ones gathered
 * into buffers: a 16 MB script of millions of one-character lines took ~650 MB as arrays of them.
 */
export function cleanAssScript(header: string, dropCommentEvents = false): CleanedHeader {
  // A byte-order mark as UTF-8 reads it, or as Latin-1 does (callers that keep bytes as they are).
  const text = header.replace(/^(\uFEFF|\xEF\xBB\xBF)/, "");
  const pieces: Buffer[] = [];
  let piece = "";
  let section = "";
  let dropped = 0;
  let comments = 0;
  // One blank line between sections, none at the start (dropped sections leave runs of them).
  let blankPending = false;
  let started = false;
  // Lines end at LF, a CR before it not theirs (a lone CR stays inside its line).
  const lines = /([^\n]*)(?:\n|$)/g;
  for (let m = lines.exec(text); m != null && m[0] !== ""; m = lines.exec(text)) {
    const line = m[1]!.endsWith("\r") ? m[1]!.slice(0, -1) : m[1]!;
    const trimmed = line.trim();
    let keep: boolean;
    if (trimmed === "") {
      blankPending = started;
      continue;
    }
    if (/^\[.*\]$/.test(trimmed)) {
      section = trimmed.toLowerCase();
      keep = KEPT_SECTIONS.has(section);
    } else if (dropCommentEvents && section === "[events]" && /^Comment:/i.test(trimmed)) {
      comments++;
      continue;
    } else {
      keep = KEPT_SECTIONS.has(section) && !isComment(trimmed) && (section !== "[script info]" || RENDERING_KEYS.has(keyOf(trimmed)));
    }
    if (!keep) {
      dropped++;
      continue;
    }
    piece += `${blankPending ? "\n" : ""}${/^\[.*\]$/.test(trimmed) ? trimmed : line}\n`;
    blankPending = false;
    started = true;
    if (piece.length >= PIECE_CHARS) {
      pieces.push(Buffer.from(piece, "utf8"));
      piece = "";
    }
  }
  pieces.push(Buffer.from(piece, "utf8"));
  return { text: Buffer.concat(pieces).toString("utf8").replace(/\n$/, ""), dropped, comments };
}

function isComment(line: string): boolean {
  return line.startsWith(";") || line.startsWith("!:");
}

function keyOf(line: string): string {
  const colon = line.indexOf(":");
  return (colon < 0 ? line : line.slice(0, colon)).trim().toLowerCase();
}
