import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptedOpenDocument } from "./helpers/make-encrypted-office.js";
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

async function encryptedDocument(kind: "odt" | "ods"): Promise<string> {
  const file = path.join(dir, `secret.${kind}`);
  await fs.writeFile(file, await encryptedOpenDocument(kind));
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
