import { copyCapBytes } from "../copy-cap.js";
import { runTool } from "../run-tool.js";

const JPEGTRAN = "/usr/bin/jpegtran";

/** The jpegtran transform that bakes each EXIF orientation into the stored pixels. */
const TRANSFORMS: Readonly<Record<number, readonly string[]>> = {
  2: ["-flip", "horizontal"],
  3: ["-rotate", "180"],
  4: ["-flip", "vertical"],
  5: ["-transpose"],
  6: ["-rotate", "90"],
  7: ["-transverse"],
  8: ["-rotate", "270"],
};

/**
 * Applies an EXIF orientation to a JPEG's DCT coefficients (no decode, no re-quantisation).
 * `-perfect` makes jpegtran refuse when edge blocks cannot be moved (sizes that are not a
 * multiple of the MCU): then, and on any other refusal, this resolves to false and the caller
 * keeps the tag instead, which always displays right.
 */
export async function bakeOrientation(input: string, output: string, orientation: number, keepIcc: boolean): Promise<boolean> {
  const transform = TRANSFORMS[orientation];
  if (transform == null) return false;
  const args = ["-perfect", "-copy", keepIcc ? "icc" : "none", ...transform, "-outfile", output, input];
  const { code } = await runTool(JPEGTRAN, args, { timeoutMs: 60_000, maxFileBytes: await copyCapBytes([input]) });
  // Exit 2 is "done with warnings" (damaged data): not trusted as a faithful rotation.
  return code === 0;
}
