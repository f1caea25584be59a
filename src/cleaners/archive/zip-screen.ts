import { TooComplexError } from "../errors.js";
import { FileBytes } from "../file-bytes.js";
import { ExifByteBudget } from "../image/exif-byte-budget.js";
import { openZip, openZipEntry, zipEntries } from "../zip-file.js";
import { XmpNamespaceTally } from "../xmp-namespaces.js";

/**
 * Members before a ZIP (or a document that is one: DOCX, ODT, EPUB...) is refused. ExifTool reports
 * every member's name, sizes, date and CRC, at ~0.75 ms and 10 kB each kept until its read ends: a
 * ZIP of 65,535 empty members (5.7 MB) took it 90-110 s and 546 MB alone, and the service to its
 * 60 s timeout at 1,155 MB; 20,000 take it ~15 s. Documents have tens to hundreds of parts, and
 * the archive cleaner takes at most 1,000 members (a bigger Java archive can still be read up to here).
 */
export const MAX_ZIP_MEMBERS = 20_000;

const LOCAL_HEADER = Buffer.from("PK\x03\x04", "latin1");
const CENTRAL_HEADER = Buffer.from("PK\x01\x02", "latin1");

export function isZipHead(bytes: Buffer): boolean {
  return bytes.subarray(0, 4).equals(LOCAL_HEADER);
}

/**
 * Refuses (TooComplexError) a ZIP holding more than MAX_ZIP_MEMBERS local or central headers,
 * counted by their signatures anywhere in the file: ExifTool lists the central directory's
 * members, or walks the local headers when that directory is damaged, and either way each member
 * needs its signature. A signature by chance inside compressed data only counts one more.
 */
export async function checkZipShape(file: string): Promise<void> {
  const src = await FileBytes.open(file);
  try {
    let local = 0;
    let central = 0;
    for (let at = 0; at < src.size; ) {
      const chunk = await src.from(at, 4);
      if (chunk.length < 4) break;
      local += occurrences(chunk, LOCAL_HEADER);
      central += occurrences(chunk, CENTRAL_HEADER);
      if (local > MAX_ZIP_MEMBERS || central > MAX_ZIP_MEMBERS) throw new TooComplexError(`zip: more than ${MAX_ZIP_MEMBERS} members`);
      // The next chunk starts 3 bytes back, so that a signature across the two is seen (once).
      at += chunk.length - 3;
      if (at + 3 >= src.size) break;
    }
  } finally {
    await src.close();
  }
  await checkZipXmlNamespaces(file);
}

/**
 * The members ExifTool parses as XML (ZIP.pm, OOXML.pm): an office document's properties, an Open
 * Document's meta.xml, an EPUB's container and package (OPF), an iWork index.
 */
const XML_MEMBER = /^(docProps\/[^/]*\.xml|meta\.xml|META-INF\/(metadata|container)\.xml|(.*\/)?[^/]*\.opf|index\.(xml|apxl)|[^/]+\.(pages|numbers|key)\/index\.(xml|apxl))$/i;
/** Their inflated bytes counted, all together. */
const MAX_XML_MEMBER_BYTES = 64 * 1024 * 1024;

/**
 * Counts the namespace URIs the XML members ExifTool parses declare (see xmp-namespaces.ts: 20,000
 * in a 154 kB DOCX's core properties took it 22 s of CPU), inflating them as it does. A directory
 * yauzl cannot read is left to the cleaner's own refusal, counted as far as it reads.
 */
export async function checkZipXmlNamespaces(file: string): Promise<void> {
  // Names left as bytes: yauzl refuses some (absolute, leading outside), which the cleaner words itself.
  const zip = await openZip(file, { validateEntrySizes: false, decodeStrings: false }).catch(() => null);
  if (zip == null) return;
  const tally = new XmpNamespaceTally("zip");
  const budget = new ExifByteBudget(MAX_XML_MEMBER_BYTES, "zip", "inflated XML members");
  try {
    for await (const entry of zipEntries(zip)) {
      if (!XML_MEMBER.test((entry.fileName as unknown as Buffer).toString("latin1"))) continue;
      // A member that does not inflate is passed over, as ExifTool passes it over.
      await openZipEntry(zip, entry)
        .then((stream) => tally.scanStream(counted(stream, budget)))
        .catch((err: unknown) => {
          if (err instanceof TooComplexError) throw err;
        });
    }
  } catch (err) {
    if (err instanceof TooComplexError) throw err;
  } finally {
    zip.close();
  }
}

/** A member's inflated bytes, taken from the budget as they come; its read's errors reject the walk. */
async function* counted(stream: AsyncIterable<Buffer>, budget: ExifByteBudget): AsyncGenerator<Buffer> {
  for await (const chunk of stream) {
    budget.take(chunk.length);
    yield chunk;
  }
}

function occurrences(chunk: Buffer, signature: Buffer): number {
  let n = 0;
  for (let i = chunk.indexOf(signature); i >= 0; i = chunk.indexOf(signature, i + 4)) n++;
  return n;
}
