import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { BadFileError } from "../errors.js";
import type { CleanContext, CleanOutcome } from "../types.js";
import { ByteCounter, isSettledError } from "../unpack-guards.js";
import { ArchiveBudget } from "./limits.js";
import { cleanMembers } from "./members.js";

/** How a refusal names the file inside: its stored name is metadata, and may be missing. */
const INNER_NAME = "the compressed file";

/**
 * A gzip of one file that is not a tar archive (`photo.jpg.gz`, `report.pdf.gz`): the file
 * inside is unpacked under the archive budget (counted as it comes out of the decompressor),
 * cleaned by the cleaner its bytes call for, as an archive member is (so `unknownMembers` applies
 * to it), and compressed again with a header that holds no name, comment or time.
 */
export async function cleanGzippedFile(ctx: CleanContext): Promise<CleanOutcome> {
  const inner = path.join(ctx.workDir, "gunzipped");
  const budget = new ArchiveBudget();
  budget.member();
  try {
    await pipeline(fs.createReadStream(ctx.input), zlib.createGunzip(), new ByteCounter((n) => budget.add(n)), fs.createWriteStream(inner, { flags: "wx" }));
  } catch (err) {
    if (isSettledError(err)) throw err;
    throw new BadFileError("The file is not a readable gzip file.", err);
  }
  const { size } = await fsp.stat(inner);
  const { out, outcome } = await cleanMembers(ctx, [{ name: INNER_NAME, kind: "file", file: inner, size }]);
  const kept = out[0];
  // Omitted (`unknownMembers=omit`): an empty file compressed, as an archive left without members.
  const source = kept?.kind === "file" ? fs.createReadStream(kept.file) : [Buffer.alloc(0)];
  await pipeline(source, zlib.createGzip(), fs.createWriteStream(ctx.output, { flags: "wx" }));
  return outcome;
}
