import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zip } from "./helpers/make-office.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { savedIn } from "./helpers/saved.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * A LibreOffice Base database (ODB) is, to ExifTool reading it without its extension, a plain ZIP:
 * the ZIP cleaner then refused it for members it cannot clean ("settings.xml (XML), content.xml
 * (XML)..."), which tells a user the file is an archive. It is named by its `mimetype` now, and
 * gets the contract's refusal for a type no cleaner handles (the Open Preservation Foundation's
 * format corpus has one).
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-odb-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const OFFICE = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:db="urn:oasis:names:tc:opendocument:xmlns:database:1.0" xmlns:xlink="http://www.w3.org/1999/xlink"';

/** A Base database connected to a file in its user's home folder, logging in as that user. */
function database(user: string): Promise<Buffer> {
  return zip([
    ["mimetype", "application/vnd.oasis.opendocument.base"],
    ["content.xml", `<office:document-content ${OFFICE} office:version="1.3"><office:body><office:database><db:data-source><db:connection-data><db:connection-resource xlink:href="sdbc:calc:file:///home/${user}/stock.ods"/><db:login db:user-name="${user}"/></db:connection-data></db:data-source></office:database></office:body></office:document-content>`],
    ["META-INF/manifest.xml", '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.base"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'],
  ]);
}

describe("POST /api/v1/remove on a LibreOffice Base database", () => {
  it("is refused naming its type (ODB), not as an archive of members that cannot be cleaned", async () => {
    // Sent without its extension, as the type must come from the bytes.
    const file = await savedIn(dir, "stock", await database(`Owner${crypto.randomBytes(4).toString("hex")}`));
    const { status, body, cleaned } = await removeViaApi(server, file);
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("Metadata removal is not supported for this file type (ODB)");
    expect(cleaned).toBeNull();
  }, 60_000);
});
