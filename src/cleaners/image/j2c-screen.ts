import fsp from "node:fs/promises";
import { BadFileError, TooComplexError } from "../errors.js";
import { COM, walkCodestream, Window } from "./jp2-codestream.js";
import { J2C } from "./jpeg-markers.js";

/**
 * Comments before a bare JPEG 2000 codestream is refused: ExifTool reads each, in the main header
 * and in every tile-part header, as a tag of its own (300,000 one-byte comments, 2 MB: 83-91 s at
 * 270 MB). Encoders write one or two. Other segments cost it little (300,000: 5.6 s at 21 MB).
 */
export const MAX_J2C_COMMENTS = 1_000;

/** The start-of-codestream marker, then the image and tile size marker that must follow it. */
const HEAD = Buffer.from([0xff, J2C.SOC, 0xff, J2C.SIZ]);

export function isJ2cHead(bytes: Buffer): boolean {
  return bytes.length >= HEAD.length && bytes.subarray(0, HEAD.length).equals(HEAD);
}

/**
 * Refuses (TooComplexError) a bare codestream of more than MAX_J2C_COMMENTS comments. A
 * codestream the walk cannot follow passes: damage is the cleaner's to judge.
 */
export async function checkJ2cShape(file: string): Promise<void> {
  const fh = await fsp.open(file, "r");
  try {
    const bytes = new Window(fh, (await fh.stat()).size);
    let comments = 0;
    await walkCodestream(bytes, 0, bytes.size, (s) => {
      if (s.marker === COM && ++comments > MAX_J2C_COMMENTS) throw new TooComplexError(`j2c: more than ${MAX_J2C_COMMENTS} comments`);
    });
  } catch (err) {
    if (!(err instanceof BadFileError)) throw err;
  } finally {
    await fh.close();
  }
}
