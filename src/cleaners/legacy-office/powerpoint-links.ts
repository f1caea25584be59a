import { bareInPlace } from "./hyperlink-object.js";

/** [MS-PPT] 2.4.1 DocumentContainer's list of the presentation's external objects: hyperlinks, movies, sounds, linked and embedded objects. */
const EX_OBJ_LIST = 0x0409;
/** A CString atom: UTF-16 text, without a terminating NUL (its length is its record's). */
const CSTRING = 0x0fba;
/** A record whose version is this is a container: its data is records. */
const CONTAINER = 0xf;
/** Deeper than PowerPoint nests external objects (ExObjList, ExMCIMovie, ExVideoContainer, CString): a deeper walk reads nothing more. */
const MAX_DEPTH = 8;

/**
 * The local paths named by a `PowerPoint Document` stream's external objects ([MS-PPT] 2.10: a
 * hyperlink's target and friendly name, ExHyperlinkContainer; a linked movie's or sound's file,
 * ExVideoContainer, ExWAVAudioLinkContainer, ExMIDIAudioContainer; a linked object's names)
 * cut to their bare names (connection-strings.ts, bareLinkTarget) in place: the name followed by
 * NULs, where LibreOffice's reading of the string ends, so no record size or offset moves. Web
 * addresses, and paths down from the presentation's folder, stay. ExifTool reads none of these.
 * Every top-level record is looked into (a presentation saved fast holds several edits, each
 * with its document container).
 */
export function barePresentationLinks(stream: Buffer): void {
  const walk = (at: number, end: number, depth: number, inList: boolean): void => {
    while (end - at >= 8) {
      const version = stream.readUInt16LE(at) & 0xf;
      const type = stream.readUInt16LE(at + 2);
      const length = stream.readUInt32LE(at + 4);
      const data = at + 8;
      if (length > end - data) return;
      if (version === CONTAINER && depth < MAX_DEPTH) walk(data, data + length, depth + 1, inList || type === EX_OBJ_LIST);
      else if (inList && type === CSTRING && length % 2 === 0) bareInPlace(stream, data, length / 2, "utf16le");
      at = data + length;
    }
  };
  walk(0, stream.length, 0, false);
}
