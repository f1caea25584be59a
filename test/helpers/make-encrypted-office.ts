import crypto from "node:crypto";
import CFB from "cfb";
import { XML, zip } from "./make-office.js";
import type { LegacyKind } from "./make-legacy-office.js";

/** Documents saved with a password, built as their programs lay them out: what stays in the clear, and ciphertext. */

const MANIFEST_NS = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0";

function encryptedEntry(name: string, size: number): string {
  const b64 = (n: number): string => crypto.randomBytes(n).toString("base64");
  return (
    `<manifest:file-entry manifest:full-path="${name}" manifest:media-type="text/xml" manifest:size="${size}">` +
    `<manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k" manifest:checksum="${b64(32)}">` +
    `<manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc" manifest:initialisation-vector="${b64(16)}"/>` +
    `<manifest:key-derivation manifest:key-derivation-name="PBKDF2" manifest:key-size="32" manifest:iteration-count="100000" manifest:salt="${b64(16)}"/>` +
    `<manifest:start-key-generation manifest:start-key-generation-name="http://www.w3.org/2000/09/xmldsig#sha256" manifest:key-size="32"/>` +
    `</manifest:encryption-data></manifest:file-entry>`
  );
}

/**
 * An OpenDocument file as LibreOffice's "Save with password" writes it: its parts compressed, then
 * encrypted with AES, and the manifest, written last, saying how for each.
 */
export async function encryptedOpenDocument(kind: "odt" | "ods"): Promise<Buffer> {
  const mime = kind === "odt" ? "application/vnd.oasis.opendocument.text" : "application/vnd.oasis.opendocument.spreadsheet";
  const parts = ["content.xml", "styles.xml", "meta.xml", "settings.xml"];
  const manifest =
    `${XML}<manifest:manifest xmlns:manifest="${MANIFEST_NS}" manifest:version="1.2">` +
    `<manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="${mime}"/>` +
    parts.map((p) => encryptedEntry(p, 1800)).join("") +
    `</manifest:manifest>`;
  return zip([["mimetype", mime], ...parts.map((p): [string, Buffer] => [p, crypto.randomBytes(1800)]), ["META-INF/manifest.xml", manifest]]);
}

/** An Office 2007+ document saved with a password ([MS-OFFCRYPTO]): a compound file holding its encrypted package. */
export function encryptedOoxml(): Buffer {
  const doc = CFB.utils.cfb_new();
  CFB.utils.cfb_add(doc, "EncryptionInfo", crypto.randomBytes(512));
  CFB.utils.cfb_add(doc, "EncryptedPackage", crypto.randomBytes(8192));
  return CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer;
}

/**
 * An Office 97-2003 document of `kind` as its program encrypts it: a Word document's FIB flag set
 * and its main stream ciphertext past the first 68 bytes; a workbook's FilePass record right after
 * its first BOF; a presentation's "Current User" header token the encrypted one ([MS-PPT] 2.3.2).
 */
export function encryptedLegacyOffice(kind: LegacyKind, document: Buffer): Buffer {
  const doc = CFB.read(document, { type: "buffer" });
  const edit = (name: string, change: (b: Buffer) => Buffer): void => {
    const entry = CFB.find(doc, name);
    if (entry == null) throw new Error(`no ${name} stream`);
    entry.content = change(Buffer.from(entry.content));
    entry.size = entry.content.length;
  };
  if (kind === "doc") {
    edit("WordDocument", (b) => {
      b.writeUInt16LE(b.readUInt16LE(10) | 0x0100, 10);
      crypto.randomFillSync(b, 68);
      return b;
    });
  } else if (kind === "xls") {
    edit("Workbook", (b) => {
      const bofEnd = 4 + b.readUInt16LE(2);
      const filePass = Buffer.alloc(4 + 54);
      filePass.writeUInt16LE(0x002f, 0);
      filePass.writeUInt16LE(54, 2);
      filePass.writeUInt16LE(1, 4);
      crypto.randomFillSync(filePass, 6);
      return Buffer.concat([b.subarray(0, bofEnd), filePass, b.subarray(bofEnd)]);
    });
  } else {
    edit("Current User", (b) => {
      b.writeUInt32LE(0xf3d1c4df, 12);
      return b;
    });
  }
  return CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer;
}
