import type { Copied } from "./inner-copy.js";

/** One file inside a file (a DOCX's picture, a ZIP's member, a PDF's attachment), as its container gives it. */
export interface InnerFile {
  /** Its name or path inside the container, printable (shown in the findings' titles). */
  name: string;
  /** Its size as the container claims it (not trusted: `copyTo` counts what really comes out). */
  claimedSize: number;
  /**
   * Writes its bytes to `dest` (a new file), at most `maxBytes`: incomplete (and removed) when
   * there were more, or when the container cannot give them (a damaged or encrypted member).
   */
  copyTo(dest: string, maxBytes: number): Promise<Copied>;
  /**
   * Its bytes, when the container's walk holds them in memory already (a cover picture within the
   * window an audio file's tag was read in): the look checks them there before writing anything.
   */
  held?: Buffer;
}

/**
 * The files inside one container, handed to `visit` one at a time (the next is not read before
 * `visit` settles); resolves to how many more it holds that were not handed over (past a listing
 * bound). A container that cannot be opened as its type holds none: its damage is reported
 * elsewhere. `scratch` is a prefix for the source's own files (under the look's scratch folder).
 */
export type InnerSource = (file: string, scratch: string, visit: (inner: InnerFile) => Promise<void>) => Promise<number>;
