import { ExifToolTask } from "exiftool-vendored";

/**
 * `exiftool -all= [--ICC_Profile:all] -o OUT IN`: ExifTool's own rewrite of a file without its
 * metadata, for formats whose layout is too intricate to rewrite by hand (HEIF's item locations).
 * Written as our own task because exiftool-vendored's `deleteAllTags` edits in place and is much
 * slower; resolves to ExifTool's error messages (empty on success).
 */
export class StripAllTask extends ExifToolTask<string[]> {
  static for(input: string, output: string, keepIcc: boolean): StripAllTask {
    const args = ["-all=", ...(keepIcc ? ["--ICC_Profile:all"] : []), "-o", output, input];
    return new StripAllTask(args);
  }

  private constructor(args: string[]) {
    super(args);
  }

  protected parse(_data: string, err?: Error): string[] {
    return [...(err != null ? [err.message] : []), ...this.errors];
  }
}
