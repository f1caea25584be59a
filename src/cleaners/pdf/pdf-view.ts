import fsp from "node:fs/promises";
import { currentChannel } from "../../isolation/worker-channel.js";
import { type DecryptedPdf, writeDecryptedView } from "./decrypted-view.js";
import { endsAsPdf, headerPatch, writeHeaderView } from "./header-view.js";
import { checkPdfStreams, type PdfShape } from "./pdf-screen.js";
import type { PdfDict } from "./scrub-objects.js";

/**
 * Writes `view` where ExifTool must read a PDF through one, and says what its read of the view
 * lacks: an encrypted PDF that opens without a password (`encryption`: its encryption dictionary,
 * see readEncryption) gets its decrypted copy (decrypted-view.ts;
 * its stream data, which the screen could not read encrypted, is looked into there), a PDF whose
 * header ExifTool misses the same bytes with the header where ExifTool looks (header-view.ts).
 * Null where ExifTool reads the file itself.
 */
export async function writePdfView(file: string, head: Buffer, shape: PdfShape, encryption: PdfDict | null, view: string): Promise<{ decrypted: DecryptedPdf | null } | null> {
  if (encryption != null) {
    // qpdf reads every object, as the cleaning will: the file takes its room first.
    await currentChannel()?.call({ op: "weigh", bytes: shape.weight });
    const decrypted = await writeDecryptedView(file, head, (await fsp.stat(file)).size, encryption, view);
    if (decrypted != null) {
      await checkPdfStreams(view, shape);
      return { decrypted };
    }
  }
  const patch = headerPatch(head);
  if (patch == null || !(await endsAsPdf(file))) return null;
  await writeHeaderView(file, patch, view);
  return { decrypted: null };
}
