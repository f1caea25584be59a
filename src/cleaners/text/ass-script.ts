import crypto from "node:crypto";
import fsp from "node:fs/promises";
import { hiddenOf } from "../hidden-counts.js";
import { cleanAssScript } from "../media/ass-header.js";
import { BadFileError, UnsupportedTypeError } from "../errors.js";
import type { CleanContext, Cleaner, CleanOutcome } from "../types.js";
import { readWholeText } from "./whole-text.js";

/** What opens an ASS or SSA script (the format's first section), a byte-order mark before it allowed (read as Latin-1). */
export const ASS_SCRIPT_START = /^(\xef\xbb\xbf)?\[Script Info\][ \t]*\r?\n/i;
/** The events renderers draw, each compared between the script and its copy. */
const DIALOGUE_EVENT = /^Dialogue:/i;

/**
 * ASS and SSA subtitle scripts (Aegisub's, VSFilter's). ExifTool 13 names a file called .ass or
 * .ssa a Windows Internet shortcut (its URL type) and the same script under another name TXT (the
 * plain text cleaner hands it here): a file of either type that opens with `[Script Info]` is
 * cleaned here, any other named URL stays refused as URL. The script's header goes as a Matroska track's does
 * (media/ass-header.ts: the author's fields, comment lines, Aegisub's project section with the
 * paths of the author's audio and video), and so do the `Comment:` events no renderer draws,
 * unless `keep=comments`. The bytes are read as Latin-1, one character per byte, so a script in
 * any ASCII-compatible encoding keeps its lines byte for byte; a read of the copy proves every
 * `Dialogue:` event is the original's.
 */
export const assScriptCleaner: Cleaner = {
  name: "ass",
  fileTypes: ["URL"],
  async clean(ctx: CleanContext): Promise<CleanOutcome> {
    return cleanAssScriptFile(ctx, "URL");
  },
  isStructural: () => false,
};

/** Cleans the script at `ctx.input`; a file that is none is refused as `fileType`. */
export async function cleanAssScriptFile(ctx: CleanContext, fileType: string): Promise<CleanOutcome> {
  const script = await readScript(ctx.input);
  if (!ASS_SCRIPT_START.test(script)) throw new UnsupportedTypeError(fileType);
  const keepComments = ctx.keep.has("comments");
  const { text, headerLines, comments } = cleanScript(script, keepComments);
  await fsp.writeFile(ctx.output, text, { encoding: "latin1", flag: "wx" });
  const copy = await readScript(ctx.output);
  const again = cleanScript(copy, keepComments);
  if (again.headerLines > 0 || again.comments > 0 || dialogueDigest(copy) !== dialogueDigest(script)) {
    throw new BadFileError("The subtitle script could not be cleaned: its copy did not keep every line of dialogue.");
  }
  return { hidden: hiddenOf({ subtitleHeaders: headerLines, comments }) };
}

function readScript(file: string): Promise<string> {
  return readWholeText(file, "latin1", "a subtitle script");
}

/** The script cleaned, its line ends as it had them. */
function cleanScript(script: string, keepComments: boolean): { text: string; headerLines: number; comments: number } {
  const bom = script.startsWith("\xef\xbb\xbf") ? "\xef\xbb\xbf" : "";
  const { text, dropped, comments } = cleanAssScript(script.slice(bom.length), !keepComments);
  const eol = script.includes("\r\n") ? "\r\n" : "\n";
  return { text: `${bom}${eol === "\n" ? text : text.replace(/\n/g, eol)}${eol}`, headerLines: dropped, comments };
}

function dialogueDigest(script: string): string {
  const hash = crypto.createHash("sha256");
  const lines = /[^\r\n]+/g;
  for (let m = lines.exec(script); m != null; m = lines.exec(script)) if (DIALOGUE_EVENT.test(m[0].trim())) hash.update(`${m[0]}\n`);
  return hash.digest("hex");
}
