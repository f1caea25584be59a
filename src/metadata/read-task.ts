import fsp from "node:fs/promises";
import { ExifToolTask } from "exiftool-vendored";
import type { ExifToolAccess } from "../cleaners/types.js";

/** ExifTool's JSON for one file, keys as `Group:Tag`. */
export type RawTags = Record<string, unknown>;

export interface RawRead {
  tags: RawTags;
  /** Messages ExifTool printed on stderr (its JSON `Error`/`Warning` tags are in `tags`). */
  messages: string[];
}

/**
 * Reads every tag of a file the way the contract shapes it: family-0 group names (`-G0`; a tag
 * repeated inside one group keeps ExifTool's preferred value), unknown tags too (`-u`), and never
 * `-fast`. `numeric` gives ExifTool's `-n` values; `embedded` adds `-ee` (video GPS tracks,
 * images inside PDFs).
 *
 * Written as our own task rather than `readRaw` because a file ExifTool cannot parse is not an
 * error for us: its messages become `warnings` and whatever it could read is still returned.
 */
export class ReadAllTask extends ExifToolTask<RawRead> {
  static for(file: string, numeric: boolean, embedded: boolean, imageHash = false): ReadAllTask {
    const args = ["-charset", "filename=utf8", "-json", "-G0", "-u", "-api", "LargeFileSupport=1"];
    if (embedded) args.push("-ee");
    if (imageHash) args.push("-api", "RequestTags=ImageDataHash");
    if (numeric) args.push("-n");
    args.push(file);
    return new ReadAllTask(args);
  }

  private constructor(args: string[]) {
    super(args);
  }

  protected parse(data: string): RawRead {
    const messages = [...this.errors, ...this.warnings];
    let tags: RawTags = {};
    if (data.trim() !== "") {
      const parsed: unknown = JSON.parse(data);
      if (Array.isArray(parsed) && parsed[0] != null && typeof parsed[0] === "object") tags = parsed[0] as RawTags;
    }
    return { tags, messages };
  }
}

/** Reads a file through the pool, asking for embedded documents only where they can exist. */
export async function readAll(exiftool: ExifToolAccess, file: string, numeric: boolean): Promise<RawRead> {
  return exiftool.read(file, { numeric, embedded: !(await isPlainImage(file)) });
}

/**
 * JPEG, PNG, GIF and WebP hold no timed metadata or embedded documents worth `-ee`, which makes
 * ExifTool scan a JPEG whole for MPF previews (three times the CPU on a 48 MP photo) only to
 * report their copies of the main image's tags under the same names.
 */
async function isPlainImage(file: string): Promise<boolean> {
  const handle = await fsp.open(file, "r");
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(12), 0, 12, 0);
    const head = buffer.subarray(0, bytesRead);
    return (
      (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) ||
      head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) ||
      head.subarray(0, 4).toString("latin1") === "GIF8" ||
      (head.subarray(0, 4).toString("latin1") === "RIFF" && head.subarray(8, 12).toString("latin1") === "WEBP")
    );
  } finally {
    await handle.close();
  }
}
