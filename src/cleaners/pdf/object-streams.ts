import type { ObjectView } from "./object-view.js";
import type { PdfJson, QpdfDocument, QpdfObject } from "./scrub-objects.js";

/**
 * The edit as qpdf's `--update-from-json` must get it so that it sticks in objects stored in an
 * object stream. qpdf (11.3) reads the objects of an object stream only once one of them is first
 * needed, and then caches each of them over whatever the update had already replaced it with: an
 * edited object sharing an object stream with one the edit leaves alone (a review annotation taken
 * away, a signer's name, a comment's author) came back in the written file as it was, once the
 * writer, or a reference in a later replacement, reached the other. pdf.js's issue17904.pdf
 * (PDFTron: two line annotations in the stream that also holds the page's fonts) was refused,
 * "review annotations left"; with `keep=comments` the authors stayed without a word.
 *
 * So the update starts with a new object that refers to every object the edit replaces: qpdf
 * reads each of them, and with it its object stream, before the first replacement. That object is
 * referred to by nothing else, so qpdf does not write it.
 */
export function updateReadingObjectStreamsFirst(view: ObjectView): QpdfDocument {
  const [header, changes] = view.update.qpdf;
  const objects = view.doc.qpdf[1];
  const replaced: PdfJson[] = Object.keys(changes)
    .filter((key) => key.startsWith("obj:") && isPlainObject(objects[key]))
    .map((key) => key.slice("obj:".length));
  if (replaced.length === 0) return view.update;
  const reader = `obj:${nextObjectNumber(view.doc)} 0 R`;
  return { qpdf: [header, { [reader]: { value: replaced }, ...changes }] };
}

function isPlainObject(obj: QpdfObject | undefined): boolean {
  return obj != null && "value" in obj;
}

/** A number no object of the file has: past every one qpdf read, and past what it says is the highest. */
function nextObjectNumber(doc: QpdfDocument): number {
  const [header, objects] = doc.qpdf;
  const declared = typeof header["maxobjectid"] === "number" ? header["maxobjectid"] : 0;
  let max = declared;
  for (const key of Object.keys(objects)) {
    const n = Number(/^obj:(\d+) /.exec(key)?.[1] ?? 0);
    if (n > max) max = n;
  }
  return max + 1;
}
