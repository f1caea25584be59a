import type { QpdfDocument } from "./scrub-objects.js";

/**
 * qpdf's report when a stream's `/Length` is wrong: it looks for the next `endstream` itself and
 * says how long the stream turned out: "(object 4 0, offset 570): recovered stream length: 605".
 */
const RECOVERED = /\(object (\d+) (\d+), offset \d+\): recovered stream length: (\d+)/g;

/**
 * A recovered length counts the end of line before `endstream` (up to 2 bytes), and real writers
 * miscount line ends in the data by a byte or two (CR LF vs LF): too few bytes to hide metadata in.
 */
const LINE_END_SLACK = 4;

/** The streams qpdf had to measure itself, by reference ("4 0 R"), with the length it found. */
export function recoveredLengths(qpdfWarnings: string): Map<string, number> {
  return new Map([...qpdfWarnings.matchAll(RECOVERED)].map((m) => [`${m[1]} ${m[2]} R`, Number(m[3])]));
}

/**
 * The recovered streams whose data is longer than their dictionary declared. Such a stream may
 * have swallowed the objects that followed it (a damaged length or `endstream`: qpdf reads on to
 * the next object's `endstream`), and with them an XMP packet, an Info dictionary or a whole
 * JPEG with its EXIF, whose bytes would then be copied verbatim as page content, out of reach of
 * every rule that looks at objects. A stream recovered shorter than declared, or a rebuilt
 * cross-reference table, swallows nothing and is not reported.
 *
 * `declared` is a dump made with `--json-stream-data=none`: with stream data in files, qpdf
 * leaves `/Length` out of the dictionaries.
 */
export function overlongStreams(recovered: ReadonlyMap<string, number>, declared: QpdfDocument): string[] {
  const objects = declared.qpdf[1];
  return [...recovered].filter(([ref, length]) => length > declaredLength(objects, ref) + LINE_END_SLACK).map(([ref]) => ref);
}

/** The `/Length` the stream's dictionary gives, direct or by reference; 0 when there is none. */
function declaredLength(objects: QpdfDocument["qpdf"][1], ref: string): number {
  const obj = objects[`obj:${ref}`];
  if (obj == null || !("stream" in obj)) return 0;
  let length = obj.stream.dict["/Length"];
  if (typeof length === "string") {
    const target = objects[`obj:${length}`];
    length = target != null && "value" in target ? target.value : null;
  }
  return typeof length === "number" ? length : 0;
}
