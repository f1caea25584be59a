import fs from "node:fs/promises";
import path from "node:path";
import { run } from "./tools.js";

/**
 * ImageMagick's Radiance HDR picture of a gradient, `width` pixels wide and 12 high (run-length
 * scan lines from 8 pixels wide on, flat ones below), with `lines` put into its header and
 * `trailer` after its pixels.
 */
export async function markedRadiance(dir: string, name: string, width: number, lines: readonly string[], trailer = Buffer.alloc(0)): Promise<string> {
  const plain = path.join(dir, `plain-${name}`);
  await run("/usr/bin/convert", ["-size", `${width}x12`, "gradient:red-blue", plain]);
  const data = await fs.readFile(plain);
  const headerEnd = data.indexOf("\n\n", 0, "latin1");
  const file = path.join(dir, name);
  await fs.writeFile(file, Buffer.concat([data.subarray(0, headerEnd + 1), Buffer.from(`${lines.join("\n")}\n`, "latin1"), data.subarray(headerEnd + 1), trailer]));
  return file;
}
