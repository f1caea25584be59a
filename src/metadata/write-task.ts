import { WholeOutputTask } from "./whole-output-task.js";

/**
 * `exiftool ARGS -o OUT IN`: ExifTool's own rewrite of a file (e.g. `-all=` for formats whose
 * layout is too intricate to rewrite by hand, as HEIF's item locations). Written as our own task
 * because exiftool-vendored's `deleteAllTags` edits in place and is much slower; resolves to
 * ExifTool's error messages (empty on success).
 */
export class WriteTask extends WholeOutputTask<string[]> {
  static for(input: string, output: string, args: readonly string[]): WriteTask {
    return new WriteTask([...args, "-o", output, input]);
  }

  private constructor(args: string[]) {
    super(args);
  }

  protected parse(_data: string, err?: Error): string[] {
    return [...(err != null ? [err.message] : []), ...this.errors];
  }
}
