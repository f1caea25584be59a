import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeMarkedLegacyOffice } from "./helpers/make-legacy-office.js";
import { makeEmf } from "./helpers/make-legacy-pictures.js";
import { drawn } from "./helpers/make-metafile-records.js";
import { embedObjects } from "./helpers/make-ole-objects.js";
import { findMarker } from "./helpers/marker-scan.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { type RunningServer, startServer } from "./helpers/server.js";

/*
 * An embedded object's print cache (`\x03EPRINT`), the EMF Office 2007 and later write for each
 * object of a 97-2003 file, went back as it was: its description (the program, a file name), its
 * comments, and the PNG pictures of its EMF+ records with their text chunks (Apache POI's
 * word_with_embeded_ooxml.doc, refused for those). It is cleaned as an EMF file is now.
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-print-caches-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** The `\x03EPRINT` streams of a compound file, in order. */
function printCaches(bytes: Buffer): Buffer[] {
  const doc = CFB.read(bytes, { type: "buffer" });
  return doc.FileIndex.filter((e) => e.type === 2 && e.name === "\x03EPRINT" && e.content != null).map((e) => Buffer.from(e.content));
}

describe("POST /api/v1/remove on Office 97-2003 documents whose embedded object has a print cache", () => {
  for (const kind of ["doc", "xls"] as const) {
    it(`the object of a ${kind.toUpperCase()}: its EMF loses its description and comments, and draws the same`, async () => {
      const marker = `PrintCache${crypto.randomBytes(5).toString("hex")}`;
      const emf = makeEmf(marker);
      const file = await makeMarkedLegacyOffice(dir, kind, `Outer${crypto.randomBytes(4).toString("hex")}`);
      await embedObjects(file, [{ kind: "streams", userType: "Equation.3", streams: { "Equation Native": Buffer.alloc(28), "\x03EPRINT": emf } }]);
      expect(await findMarker(file, marker)).not.toEqual([]);

      const { status, body, cleaned } = await removeViaApi(server, file, `cache.${kind}`);
      expect(status, JSON.stringify(body)).toBe(200);
      expect(await findMarker(cleaned!, marker)).toEqual([]);
      expect((body["removed"] as Record<string, number>)["metafileText"]).toBeGreaterThanOrEqual(3);
      const [cache] = printCaches(cleaned!);
      expect(await drawn(dir, "after.emf", cache!)).toBe(await drawn(dir, "before.emf", emf));
    }, 120_000);
  }
});
