import type { FileBytes } from "../file-bytes.js";
import { checkCbor, checkJumbf, type JumbfTally } from "../image/jumbf-screen.js";

/** C2PA's UUID, naming the top-level `uuid` boxes of an ISO BMFF file (MP4, MOV, HEIC, AVIF) that hold its manifest. */
const C2PA_UUID = Buffer.from("d8fec3d61b0e483c92975828877ec481", "hex");

/**
 * Refuses (TooComplexError) a top-level `uuid` box, whose payload is [from, to), that ExifTool
 * reads as C2PA's (QuickTime::Main): after the UUID and 4 bytes, "manifest\0" and an 8-byte
 * offset lead a manifest store (JUMBF boxes), "merkle\0" a Merkle tree (CBOR); either past
 * jumbf-screen's limits, counted into `tally`, which the file's other such boxes share.
 */
export async function checkC2paUuidBox(src: FileBytes, from: number, to: number, tally: JumbfTally): Promise<void> {
  const head = await src.read(from, 29);
  if (head.length < 27 || !head.subarray(0, 16).equals(C2PA_UUID)) return;
  const manifest = head.toString("latin1", 20, 29) === "manifest\0";
  if (!manifest && head.toString("latin1", 20, 27) !== "merkle\0") return;
  const start = from + (manifest ? 37 : 27);
  if (to <= start) return;
  tally.take(to - start);
  const data = await src.read(start, to - start);
  if (manifest) checkJumbf(data, tally);
  else checkCbor(data, tally);
}
