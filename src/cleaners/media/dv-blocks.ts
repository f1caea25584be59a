/**
 * DV's DIF blocks (IEC 61834-2, SMPTE 314M): every DV frame, of every variant (DV25, DVCAM,
 * DVCPRO 25/50/HD), is a run of 80-byte blocks, each a 3-byte ID whose first byte's top three
 * bits name its section (header, subcode, video auxiliary, audio, video), then 77 bytes. Besides
 * pictures and sound they carry 5-byte packs (a type byte, four data bytes): the recording date
 * and time (in the subcode, the video and the audio auxiliary data of every frame), the time
 * code, binary groups (user bits), a consumer camera's exposure, focus and white balance, text.
 */

export const DIF_BLOCK = 80;
/** Blocks in a DIF sequence: a header, two subcode, three video auxiliary, then nine audio blocks each before fifteen video blocks. */
const SEQUENCE = 150;

const SUBCODE = 1;
const VAUX = 2;
const AUDIO = 3;
const VIDEO = 4;
const PACK = 5;
/** A pack that says nothing: its type byte 0xFF, its data bytes all ones. */
const NO_INFO = 0xff;

/**
 * The packs decoding needs, kept: the video source and source control (the system, the aspect
 * ratio, whether it is 4:2:0 or 4:1:1, closed-caption lines as VAUX 0x65 gives them), and the
 * audio source and source control (sample rate, quantization, emphasis).
 */
const KEPT_VAUX = new Set([0x60, 0x61, 0x65]);
const KEPT_AAUX = new Set([0x50, 0x51]);
/** The subcode's time code pack, kept with its digits zeroed (as an MPEG GOP header's): a reader without one warns that the time code is invalid. */
const TIME_CODE = 0x13;
const KEPT_SUBCODE = new Set([TIME_CODE]);
const NONE = new Set<number>();
/** In the time code pack's four data bytes, the flags (colour frame, drop frame, field and binary group flags) above the digits. */
const TIME_CODE_FLAGS = [0xc0, 0x80, 0x80, 0xc0];

/**
 * Makes every pack of the blocks of `buf` (whole blocks, from a block's start) that decoding does
 * not need say nothing, zeroes the time code's digits, and makes the reserved bytes of the header,
 * subcode and video auxiliary blocks all ones, as a writer leaves them; pictures and sound are not
 * touched. `first` is the number of the first block in the file. A block's section is what its ID
 * says and what its place in its DIF sequence says (decoders read packs at fixed places): in a
 * damaged file where the two differ, the block is cleaned as both. Returns how many packs said
 * something and were blanked or zeroed.
 */
export function blankDifPacks(buf: Buffer, first: number): number {
  let blanked = 0;
  const blank = (at: number, kept: ReadonlySet<number>): void => {
    const type = buf[at]!;
    if (type === NO_INFO || kept.has(type)) return;
    buf.fill(NO_INFO, at, at + PACK);
    blanked++;
  };
  for (let block = 0, n = first; block + DIF_BLOCK <= buf.length; block += DIF_BLOCK, n++) {
    const named = buf[block]! >> 5;
    const placed = sectionAt(n % SEQUENCE);
    blankSection(buf, block, named, named !== placed, blank, () => blanked++);
    if (placed !== named) blankSection(buf, block, placed, true, blank, () => blanked++);
  }
  return blanked;
}

/** The section a block belongs to by its place in its DIF sequence. */
function sectionAt(k: number): number {
  if (k === 0) return 0;
  if (k < 3) return SUBCODE;
  if (k < 6) return VAUX;
  return (k - 6) % 16 === 0 ? AUDIO : VIDEO;
}

/**
 * Cleans the block at `block` as one of `section`. In a damaged block, cleaned as two sections,
 * the time code goes too: zeroing it writes bytes the other section's packs could start with,
 * where blanking writes only ones, which say nothing whichever way the block is read.
 */
function blankSection(
  buf: Buffer,
  block: number,
  section: number,
  damaged: boolean,
  blank: (at: number, kept: ReadonlySet<number>) => void,
  zeroed: () => void,
): void {
  if (section === 0) buf.fill(NO_INFO, block + 8, block + DIF_BLOCK);
  else if (section === SUBCODE) {
    // Six sync blocks: two ID bytes, a reserved byte, a pack.
    for (let s = 0; s < 6; s++) {
      const pack = block + 6 + s * 8;
      if (!damaged && buf[pack] === TIME_CODE && zeroTimeCode(buf, pack)) zeroed();
      else blank(pack, damaged ? NONE : KEPT_SUBCODE);
    }
    buf.fill(NO_INFO, block + 3 + 6 * 8, block + DIF_BLOCK);
  } else if (section === VAUX) {
    for (let p = 0; p < 15; p++) blank(block + 3 + p * PACK, KEPT_VAUX);
    buf.fill(NO_INFO, block + 3 + 15 * PACK, block + DIF_BLOCK);
  } else if (section === AUDIO) blank(block + 3, KEPT_AAUX);
}

/** The number of packs of `buf`'s blocks that `blankDifPacks` would blank: none in a clean copy. */
export function difPacksLeft(buf: Buffer, first: number): number {
  return blankDifPacks(Buffer.from(buf), first);
}

/** Zeroes the digits of the time code pack at `at`, its flags kept; whether they were not zero. */
function zeroTimeCode(buf: Buffer, at: number): boolean {
  let changed = false;
  TIME_CODE_FLAGS.forEach((flags, i) => {
    const byte = buf[at + 1 + i]!;
    if ((byte & ~flags) !== 0) changed = true;
    buf[at + 1 + i] = byte & flags;
  });
  return changed;
}
