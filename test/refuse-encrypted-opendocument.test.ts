import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { XML, zip } from "./helpers/make-office.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/**
 * An OpenDocument file saved with a password (LibreOffice's "Save with password"): its parts are
 * compressed, then encrypted with AES, and the manifest, which LibreOffice writes last, says how
 * for each. It is refused as encrypted, with what the person can do, not as a damaged document
 * (what reading its encrypted content.xml first made of it).
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-odf-encrypted-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

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

async function encryptedDocument(kind: "odt" | "ods"): Promise<string> {
  const mime = kind === "odt" ? "application/vnd.oasis.opendocument.text" : "application/vnd.oasis.opendocument.spreadsheet";
  const parts = ["content.xml", "styles.xml", "meta.xml", "settings.xml"];
  const manifest =
    `${XML}<manifest:manifest xmlns:manifest="${MANIFEST_NS}" manifest:version="1.2">` +
    `<manifest:file-entry manifest:full-path="/" manifest:version="1.2" manifest:media-type="${mime}"/>` +
    parts.map((p) => encryptedEntry(p, 1800)).join("") +
    `</manifest:manifest>`;
  const bytes = await zip([["mimetype", mime], ...parts.map((p): [string, Buffer] => [p, crypto.randomBytes(1800)]), ["META-INF/manifest.xml", manifest]]);
  const file = path.join(dir, `secret.${kind}`);
  await fs.writeFile(file, bytes);
  return file;
}

describe("an OpenDocument file saved with a password", () => {
  it.each(["odt", "ods"] as const)("%s: refused as encrypted, saying what to do, nothing handed back", async (kind) => {
    const { status, body, cleaned } = await removeViaApi(server, await encryptedDocument(kind));
    expect(status).toBe(422);
    expect(body["error"]).toBe(
      "The document is encrypted (password-protected): its content and metadata cannot be read, so it cannot be cleaned without its password. Remove the password in the program that made it, then send the file again.",
    );
    expect(cleaned).toBeNull();
  });
});
