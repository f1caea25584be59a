import crypto from "node:crypto";
import fsp from "node:fs/promises";
import type { PdfDict, PdfJson, QpdfDocument, QpdfObject } from "./scrub-objects.js";

/*
 * The empty name (a solidus alone, `/`) is a valid PDF name (ISO 32000-1, 7.3.5): font encodings'
 * `/Differences` arrays hold it for unnamed glyphs. qpdf 11.3 (Debian's) writes it in its JSON as
 * "/" but refuses that very string in `--update-from-json` ("unrecognized string value", qpdf
 * issue 1628, fixed upstream in December 2025), so an object the edit changes that holds one (a
 * page losing its `/PieceInfo` with its fonts inline) could not be written. Such names go to qpdf
 * as a name of our own of the same use, and the written copy gets the empty name back, in place:
 * the stand-in followed by spaces to its length, so no offset moves. No qpdf option or other tool
 * writes the empty name for us.
 */

const EMPTY_NAME = "/";

/** The edit with each empty name (value or key) replaced by `standIn`, and whether any was. */
export interface StandInEdit {
  update: QpdfDocument;
  /** Null when the edit held no empty name (and the copy needs no repair). */
  standIn: string | null;
}

export function withEmptyNamesStoodIn(update: QpdfDocument): StandInEdit {
  const standIn = `/exifapiEmptyName${crypto.randomBytes(8).toString("hex")}`;
  let found = false;
  const value = (v: PdfJson): PdfJson => {
    if (v === EMPTY_NAME) {
      found = true;
      return standIn;
    }
    if (Array.isArray(v)) return v.map(value);
    if (v != null && typeof v === "object") return dict(v);
    return v;
  };
  const dict = (d: PdfDict): PdfDict =>
    Object.fromEntries(
      Object.entries(d).map(([k, v]) => {
        if (k === EMPTY_NAME) found = true;
        return [k === EMPTY_NAME ? standIn : k, value(v)];
      }),
    );
  const object = (o: QpdfObject): QpdfObject => ("stream" in o ? { stream: { ...o.stream, dict: dict(o.stream.dict) } } : { value: value(o.value) });
  const [header, objects] = update.qpdf;
  const replaced = Object.fromEntries(Object.entries(objects).map(([k, o]) => [k, object(o)]));
  return found ? { update: { qpdf: [header, replaced] }, standIn } : { update, standIn: null };
}

/** qpdf's arguments that keep every object of the copy out of compressed object streams, where `restoreEmptyNames` can reach it. */
export const PLAIN_OBJECTS = ["--object-streams=disable"];

const CHUNK = 1024 * 1024;

/**
 * Writes the empty name back over each `standIn` in `file` (written by qpdf with PLAIN_OBJECTS):
 * `/` and spaces, the same length. Read in chunks overlapping by the stand-in's length, so memory
 * stays flat whatever the size.
 */
export async function restoreEmptyNames(file: string, standIn: string): Promise<void> {
  const needle = Buffer.from(standIn, "latin1");
  const blank = Buffer.from(EMPTY_NAME.padEnd(needle.length, " "), "latin1");
  const handle = await fsp.open(file, "r+");
  try {
    const buf = Buffer.alloc(CHUNK + needle.length);
    const found: number[] = [];
    for (let start = 0; ; start += CHUNK) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, start);
      const view = buf.subarray(0, bytesRead);
      for (let at = view.indexOf(needle); at >= 0 && at < CHUNK; at = view.indexOf(needle, at + needle.length)) found.push(start + at);
      if (bytesRead < buf.length) break;
    }
    for (const at of found) await handle.write(blank, 0, blank.length, at);
  } finally {
    await handle.close();
  }
}
