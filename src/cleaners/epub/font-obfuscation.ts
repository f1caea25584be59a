import crypto from "node:crypto";
import fsp from "node:fs/promises";
import path from "node:path";
import type { Document } from "@xmldom/xmldom";
import { readHead } from "../file-bytes.js";
import { decodeHref, OPF } from "./manifest.js";

const XMLENC = "http://www.w3.org/2001/04/xmlenc#";
const DC = "http://purl.org/dc/elements/1.1/";

/**
 * A way a book's fonts are obfuscated: not encrypted, the key being the book's own identifier, so
 * that a font cannot be lifted out of the book as a plain file. The first `length` bytes are
 * XORed with the key, over and over.
 */
export interface Obfuscation {
  readonly length: number;
  key(identifier: string): Buffer | null;
}

const METHODS: Readonly<Record<string, Obfuscation>> = {
  // IDPF's (EPUB 3.3, "Font obfuscation"): the SHA-1 of the unique identifier, its white space taken out.
  "http://www.idpf.org/2008/embedding": {
    length: 1040,
    key: (id) => crypto.createHash("sha1").update(id.replace(/[\u0020\u0009\u000d\u000a]/g, ""), "utf8").digest(),
  },
  // Adobe's, older, which InDesign wrote: the 16 bytes of the book's `urn:uuid` identifier.
  "http://ns.adobe.com/pdf/enc#RC": {
    length: 1024,
    key: (id) => {
      const uuid = /^urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(id.trim());
      return uuid == null ? null : Buffer.from(uuid[1]!.replace(/-/g, ""), "hex");
    },
  },
};

/** How every kind of font file starts: TrueType, OpenType (CFF), Apple's, Type 1 in sfnt, a collection, WOFF and WOFF2. */
const FONT_SIGNATURES: readonly string[] = ["\u0000\u0001\u0000\u0000", "OTTO", "true", "typ1", "ttcf", "wOFF", "wOF2"];

/**
 * The obfuscated files `META-INF/encryption.xml` lists, by entry name, with their method; null
 * when it lists anything else (encryption proper, which is DRM, or a file compressed before being
 * encrypted), which the book cannot be changed around.
 */
export function obfuscatedFiles(encryption: Document): Map<string, Obfuscation> | null {
  const found = new Map<string, Obfuscation>();
  for (const data of Array.from(encryption.getElementsByTagNameNS(XMLENC, "EncryptedData"))) {
    const methods = Array.from(data.getElementsByTagNameNS(XMLENC, "EncryptionMethod"));
    const references = Array.from(data.getElementsByTagNameNS(XMLENC, "CipherReference"));
    const method = methods.length === 1 ? METHODS[methods[0]!.getAttribute("Algorithm") ?? ""] : undefined;
    const uri = references.length === 1 ? references[0]!.getAttribute("URI") : null;
    if (method == null || uri == null || data.getElementsByTagNameNS(XMLENC, "EncryptionProperties").length > 0) return null;
    // Paths in the container's own files are relative to its root.
    found.set(path.posix.normalize(decodeHref(uri)), method);
  }
  return found;
}

/** The identifiers a key may come from, the unique one first: to be read before the package is cleaned. */
export function bookIdentifiers(opf: Document): string[] {
  const uid = opf.documentElement?.getAttribute("unique-identifier") ?? "";
  const ids = Array.from(opf.getElementsByTagNameNS(DC, "identifier"))
    .filter((el) => (el.parentNode as { namespaceURI?: string } | null)?.namespaceURI === OPF)
    .map((el) => ({ unique: el.getAttribute("id") === uid, text: (el.textContent ?? "").trim() }));
  return [...ids.filter((i) => i.unique), ...ids.filter((i) => !i.unique)].map((i) => i.text);
}

/**
 * Writes the font `file` to `out` obfuscated with the key of `identifier`, the book's new one. It
 * is first read back with the key of whichever old identifier turns its first bytes into a font's;
 * resolves to false when none does (a key made some other way), writing nothing. Only the
 * obfuscated head is rewritten; the rest of the font is copied.
 */
export async function reobfuscate(file: string, out: string, method: Obfuscation, oldIdentifiers: readonly string[], identifier: string): Promise<boolean> {
  const newKey = method.key(identifier);
  const head = await readHead(file, method.length);
  const oldKey = oldIdentifiers.map((id) => method.key(id)).find((key) => key != null && isFont(xor(head, key)));
  if (oldKey == null || newKey == null) return false;
  await fsp.copyFile(file, out);
  const written = await fsp.open(out, "r+");
  try {
    await written.write(xor(xor(head, oldKey), newKey), 0, head.length, 0);
  } finally {
    await written.close();
  }
  return true;
}

function xor(bytes: Buffer, key: Buffer): Buffer {
  const out = Buffer.alloc(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! ^ key[i % key.length]!;
  return out;
}

function isFont(head: Buffer): boolean {
  return FONT_SIGNATURES.includes(head.toString("latin1", 0, 4));
}
