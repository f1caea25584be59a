// Apart from read-task.ts, so that task processes, which reach ExifTool through the service,
// never load exiftool-vendored (a tenth of a second of every worker's start).
import type { RawRead, RawTags } from "./read-task.js";
import { WholeOutputTask } from "./whole-output-task.js";

/**
 * Reads every tag of a file the way the contract shapes it: family-0 group names (`-G0`; a tag
 * repeated inside one group keeps ExifTool's preferred value), unknown tags too (`-u`, unless
 * `unknown` is false), and never `-fast`. `numeric` gives ExifTool's `-n` values; `embedded` adds
 * `-ee` (video GPS tracks, images inside PDFs).
 *
 * Written as our own task rather than `readRaw` because a file ExifTool cannot parse is not an
 * error for us: its messages become `warnings` and whatever it could read is still returned.
 */
export class ReadAllTask extends WholeOutputTask<RawRead> {
  static for(file: string, numeric: boolean, embedded: boolean, imageHash = false, unknown = true): ReadAllTask {
    const args = ["-charset", "filename=utf8", "-json", "-G0", ...(unknown ? ["-u"] : []), "-api", "LargeFileSupport=1"];
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
    return { tags: withPdfFileType(tags), messages };
  }
}

/**
 * With `-ee`, ExifTool names each image of a PDF that it cannot open (Flate, JBIG2...)
 * "(unsupported)" or "(unknown)" under File:FileType (PDF.pm, the only place that writes these),
 * and without `-a` that value replaces the PDF's own: the PDF would read as no type at all. The
 * MIME type is the document's alone.
 */
function withPdfFileType(tags: RawTags): RawTags {
  const type = tags["File:FileType"];
  if ((type !== "(unsupported)" && type !== "(unknown)") || tags["File:MIMEType"] !== "application/pdf") return tags;
  return { ...tags, "File:FileType": "PDF" };
}
