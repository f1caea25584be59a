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
}

/**
 * Keeps `[Script Info]` lines whose key renderers read, the style, event, font and graphics
 * sections whole (minus `;` comments), and drops every other section and line. Takes a whole
 * .ass file as ffmpeg writes a track out: sections an editor put after the events come back
 * after them, so the events pass through here unchanged too.
 */
export function cleanAssScript(header: string): CleanedHeader {
  const lines = header.replace(/^\uFEFF/, "").split(/\r?\n/);
  const kept: string[] = [];
  let section = "";
  let dropped = 0;
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed === "") {
      kept.push("");
      continue;
    }
    if (/^\[.*\]$/.test(trimmed)) {
      section = trimmed.toLowerCase();
      if (KEPT_SECTIONS.has(section)) kept.push(trimmed);
      else dropped++;
      continue;
    }
    const keep = KEPT_SECTIONS.has(section) && !isComment(trimmed) && (section !== "[script info]" || RENDERING_KEYS.has(keyOf(trimmed)));
    if (keep) kept.push(line);
    else dropped++;
  }
  return { text: collapseBlankLines(kept).join("\n"), dropped };
}

function isComment(line: string): boolean {
  return line.startsWith(";") || line.startsWith("!:");
}

function keyOf(line: string): string {
  const colon = line.indexOf(":");
  return (colon < 0 ? line : line.slice(0, colon)).trim().toLowerCase();
}

/** One blank line between sections, none at the start (dropped sections leave runs of them). */
function collapseBlankLines(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if (line === "" && (out.length === 0 || out[out.length - 1] === "")) continue;
    out.push(line);
  }
  return out;
}
