import { TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";

/**
 * Elements of a Matroska or WebM file other than its media and index (Void, CRC-32, tags, tracks,
 * chapters, seek entries, unknown IDs...) before it is refused: ExifTool reads each (with `-ee`, as
 * for every video, a million empty Void elements, 2 MB, took it 8-11 s, the service 10-18 s). Real
 * files have hundreds, a long film's chapters and tags a few thousand.
 */
export const MAX_MATROSKA_ELEMENTS = 100_000;
/**
 * Clusters, blocks (each a frame, or a few) and cue points: a frame each for every track, so an
 * hour at 30 fps with audio is ~300,000, an all-intra video adds a cue point per frame. Bounds a
 * hostile file of millions of empty blocks while films of a few hours stay below.
 */
export const MAX_MATROSKA_MEDIA_ELEMENTS = 2_000_000;

const EBML = 0x1a45dfa3;
/** Masters whose children are walked: the segment, a cluster (blocks are counted one by one), and the metadata masters where tiny elements could pile up. */
const WALKED: ReadonlySet<number> = new Set([
  0x18538067, // Segment
  0x1f43b675, // Cluster
  0x114d9b74, // SeekHead
  0x4dbb, // Seek
  0x1549a966, // Info
  0x1654ae6b, // Tracks
  0xae, // TrackEntry
  0xe0, // Video
  0xe1, // Audio
  0x6d80, // ContentEncodings
  0x6240, // ContentEncoding
  0x1c53bb6b, // Cues (its cue points are counted, not walked)
  0x1254c367, // Tags
  0x7373, // Tag
  0x63c0, // Targets
  0x67c8, // SimpleTag
  0x1043a770, // Chapters
  0x45b9, // EditionEntry
  0xb6, // ChapterAtom
  0x80, // ChapterDisplay
  0x1941a469, // Attachments
  0x61a7, // AttachedFile
]);
/** Media and index elements: counted against MAX_MATROSKA_MEDIA_ELEMENTS, and block groups and cue points not walked. */
const MEDIA: ReadonlySet<number> = new Set([
  0x1f43b675, // Cluster
  0xe7, // Timestamp (of a cluster)
  0xa7, // Position
  0xab, // PrevSize
  0xa3, // SimpleBlock
  0xa0, // BlockGroup
  0xaf, // EncryptedBlock
  0xbb, // CuePoint
]);

export function isMatroskaHead(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes.readUInt32BE(0) === EBML;
}

/**
 * Refuses (TooComplexError) a Matroska or WebM file (any EBML document) of more elements than the
 * limits, walking element heads in the file's order: into the masters that hold the media and
 * the metadata, over everything else. A head that is no element, or a non-master of unknown size,
 * ends the walk: damage is the cleaner's to judge.
 */
export async function checkMatroskaShape(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    let elements = 0;
    let media = 0;
    for (let at = 0; src.size - at >= 2; ) {
      const head = src.peek(at, 12) ?? (await src.read(at, 12));
      const id = vint(head, 0, true);
      if (id == null || id.length > 4) return;
      const size = vint(head, id.length, false);
      if (size == null) return;
      const data = at + id.length + size.length;
      if (MEDIA.has(id.value)) {
        if (++media > MAX_MATROSKA_MEDIA_ELEMENTS) throw new TooComplexError(`matroska: more than ${MAX_MATROSKA_MEDIA_ELEMENTS} clusters, blocks and cue points`);
      } else if (++elements > MAX_MATROSKA_ELEMENTS) throw new TooComplexError(`matroska: more than ${MAX_MATROSKA_ELEMENTS} elements`);
      if (WALKED.has(id.value)) at = data;
      else if (size.unknown) return;
      else at = data + size.value;
    }
  } finally {
    await src.close();
  }
}

/**
 * An EBML variable-length integer at `at`: an element ID keeps its length marker, a size loses it
 * (all value bits set: `unknown`). Undefined when the bytes are no such integer.
 */
function vint(b: Buffer, at: number, keepMarker: boolean): { value: number; length: number; unknown: boolean } | undefined {
  const first = b[at];
  if (first == null || first === 0) return undefined;
  const length = Math.clz32(first) - 23;
  if (at + length > b.length) return undefined;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const byte = b[at + i]!;
    value = value * 256 + byte;
    allOnes &&= byte === 0xff;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}
