import { BadFileError } from "../errors.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, Cleaner } from "../types.js";
import { isMediaStructural } from "./structural.js";

/** Sizes fixed by Sony's DSF specification (version 1.01): the "DSD " chunk and the "fmt " chunk. */
const DSD_CHUNK = 28;
const FMT_CHUNK = 52;
/** In the "fmt " chunk, the reserved field after the block size, which writers fill with zeros. */
const FMT_RESERVED = 48;
/** The "data" chunk's header: its name and its size, which counts the header. */
const DATA_HEADER = 12;

const damaged = (why: string): BadFileError => new BadFileError(`The DSF file is damaged: ${why}.`);

/**
 * DSF (Sony's DSD Stream File, the format DSD albums are sold in): a "DSD " chunk giving the file's
 * size and where its metadata chunk lies, a "fmt " chunk of numbers, the "data" chunk of 1-bit
 * samples, then the metadata chunk, an ID3v2 tag (title, artist, album, cover art) at the end. The
 * copy is the three chunks, the samples copied byte for byte a window at a time, without the tag:
 * the "DSD " chunk says there is none (pointer 0) and gives the new size, and the "fmt " chunk's
 * reserved field is zeroed. Whatever follows the samples goes; a tag the samples' chunk would take
 * in, or a chunk running past the file, is refused as damage.
 */
export const dsfCleaner: Cleaner = {
  name: "dsf",
  fileTypes: ["DSF"],

  async clean(ctx: CleanContext): Promise<void> {
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      if (src.size < DSD_CHUNK + FMT_CHUNK + DATA_HEADER) throw damaged("it is truncated");
      const head = await src.read(0, DSD_CHUNK + FMT_CHUNK + DATA_HEADER);
      if (head.toString("latin1", 0, 4) !== "DSD " || head.readBigUInt64LE(4) !== BigInt(DSD_CHUNK)) throw damaged("its first chunk is not a DSD chunk");
      if (head.toString("latin1", DSD_CHUNK, DSD_CHUNK + 4) !== "fmt " || head.readBigUInt64LE(DSD_CHUNK + 4) !== BigInt(FMT_CHUNK)) throw damaged("it has no format chunk where one belongs");
      const dataAt = DSD_CHUNK + FMT_CHUNK;
      if (head.toString("latin1", dataAt, dataAt + 4) !== "data") throw damaged("it has no sample data chunk where one belongs");
      const dataEnd = dataAt + Number(head.readBigUInt64LE(dataAt + 4));
      if (dataEnd < dataAt + DATA_HEADER || dataEnd > src.size) throw damaged("its sample data chunk runs past the end of the file");
      const metadataAt = Number(head.readBigUInt64LE(20));
      if (metadataAt !== 0 && metadataAt < dataEnd) throw damaged("its metadata lies inside its sample data");

      const dsd = Buffer.from(head.subarray(0, DSD_CHUNK));
      dsd.writeBigUInt64LE(BigInt(dataEnd), 12);
      dsd.writeBigUInt64LE(0n, 20);
      const fmt = Buffer.from(head.subarray(DSD_CHUNK, dataAt));
      fmt.fill(0, FMT_RESERVED);
      out.bytes(dsd);
      out.bytes(fmt);
      out.copy(dataAt, dataEnd);
    });
  },

  isStructural: isMediaStructural,
};
