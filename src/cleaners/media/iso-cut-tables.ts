import fsp from "node:fs/promises";
import { childBoxes, topLevelBoxes, type Box } from "./iso-boxes.js";
import { isIsoHead } from "./iso-screen.js";

/**
 * The payload a sample table needs for its fixed fields, for the two that ExifTool's reader of
 * embedded data (`-ee`, QuickTimeStream.pl's ParseTag) unpacks without checking their length: a
 * shorter one kills the ExifTool process ("'x' outside of string in unpack"), as in mutagen's
 * nero-chapters.m4b, whose sound samples were cut out of the file with their sizes.
 */
const FIXED_FIELDS: Readonly<Record<string, number>> = { stsz: 12, stco: 8 };
const TO_SAMPLE_TABLES = ["trak", "mdia", "minf", "stbl"];
/** A `moov` held to be looked into; real ones are kilobytes to a few megabytes. */
const MAX_MOOV = 16 * 1024 * 1024;

/**
 * Whether a QuickTime / ISO BMFF file holds a sample size or chunk offset table too short for its
 * own fields: damage, which is why ExifTool failed on it, rather than the file being too much for
 * its limits.
 */
export async function hasCutSampleTable(file: string): Promise<boolean> {
  const fh = await fsp.open(file, "r");
  try {
    const { size } = await fh.stat();
    const { buffer: head, bytesRead } = await fh.read(Buffer.alloc(16), 0, 16, 0);
    if (!isIsoHead(head.subarray(0, bytesRead))) return false;
    const moov = (await topLevelBoxes(fh, size))?.find((b) => b.type === "moov");
    if (moov == null || moov.size > MAX_MOOV) return false;
    const { buffer } = await fh.read(Buffer.alloc(moov.size), 0, moov.size, moov.at);
    let level: Box[] = [{ ...moov, at: 0 }];
    for (const type of TO_SAMPLE_TABLES) level = level.flatMap((b) => (childBoxes(buffer, b.at + b.header, b.at + b.size) ?? []).filter((c) => c.type === type));
    return level.some((stbl) => (childBoxes(buffer, stbl.at + stbl.header, stbl.at + stbl.size) ?? []).some((b) => b.size - b.header < (FIXED_FIELDS[b.type] ?? 0)));
  } finally {
    await fh.close();
  }
}
