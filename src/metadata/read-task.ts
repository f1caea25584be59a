import { ExifToolTask } from "exiftool-vendored";

/** ExifTool's JSON for one file, keys as `Group:Tag`. */
export type RawTags = Record<string, unknown>;

export interface RawRead {
  tags: RawTags;
  /** Messages ExifTool printed on stderr (its JSON `Error`/`Warning` tags are in `tags`). */
  messages: string[];
}

/**
 * Reads every tag of a file the way the contract shapes it: family-0 group names (`-G0`; a tag
 * repeated inside one group keeps ExifTool's preferred value), unknown tags too (`-u`), embedded streams such as video GPS tracks
 * (`-ee`), and never `-fast`. `numeric` gives ExifTool's `-n` values.
 *
 * Written as our own task rather than `readRaw` because a file ExifTool cannot parse is not an
 * error for us: its messages become `warnings` and whatever it could read is still returned.
 */
export class ReadAllTask extends ExifToolTask<RawRead> {
  static for(file: string, numeric: boolean): ReadAllTask {
    const args = ["-charset", "filename=utf8", "-json", "-G0", "-u", "-ee", "-api", "LargeFileSupport=1"];
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
