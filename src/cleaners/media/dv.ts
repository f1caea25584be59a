import { BadFileError } from "../errors.js";
import { FileBytes, WINDOW } from "../file-bytes.js";
import { RangeWriter } from "../range-writer.js";
import type { CleanContext, CleanOutcome, Cleaner } from "../types.js";
import { DIF_BLOCK, blankDifPacks, difPacksLeft } from "./dv-blocks.js";
import { isMediaStructural } from "./structural.js";

/** Whole blocks read and written at once. */
const WINDOW_BYTES = Math.floor(WINDOW / DIF_BLOCK) * DIF_BLOCK;

const damaged = (why: string): BadFileError => new BadFileError(`The DV file is damaged: ${why}.`);

/**
 * Raw DV (.dv, .dif: what a camcorder's tape or card gives when captured without a container).
 * The copy is the file's DIF blocks with every pack decoding does not need made to say nothing
 * (`dv-blocks.ts`): the recording date and time every frame carries, the time code, user bits, the
 * camera's settings, text. Pictures and sound are copied as they are, a window at a time, and the
 * copy is as long as the file but for a cut block at its end, which goes. The copy is walked again:
 * a pack left makes it refused.
 */
export const dvCleaner: Cleaner = {
  name: "dv",
  fileTypes: ["DV"],

  async clean(ctx: CleanContext): Promise<CleanOutcome> {
    let packs = 0;
    await RangeWriter.rewrite(ctx.input, ctx.output, "wx", async (src, out) => {
      const whole = src.size - (src.size % DIF_BLOCK);
      if (whole === 0 || (await src.read(0, 1))[0]! >> 5 !== 0) throw damaged("it does not start with a DIF header block");
      for (let at = 0; at < whole; at += WINDOW_BYTES) {
        const window = Buffer.from(await src.read(at, Math.min(WINDOW_BYTES, whole - at)));
        packs += blankDifPacks(window, at / DIF_BLOCK);
        out.bytes(window);
        if (out.full) await out.flush();
      }
    });
    ctx.outputFinal();
    const copy = await FileBytes.open(ctx.output);
    try {
      for (let at = 0; at < copy.size; at += WINDOW_BYTES) {
        if (difPacksLeft(await copy.read(at, WINDOW_BYTES), at / DIF_BLOCK) > 0) throw new BadFileError("The DV file could not be cleaned.", new Error("dv: a pack is left in the copy"));
      }
    } finally {
      await copy.close();
    }
    return { hidden: { dvPacks: packs } };
  },

  isStructural: isMediaStructural,
};
