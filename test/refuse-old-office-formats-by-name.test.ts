import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import CFB from "cfb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { soffice } from "./helpers/make-legacy-office.js";
import { summaryInformation } from "./helpers/make-windows-ppt.js";
import { removeViaApi } from "./helpers/remove-api.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";

/**
 * Office formats older than 97 that no cleaner knows (Word for Windows 2.0, PowerPoint 4.0) are
 * refused naming the format, and extraction names it too: Apache POI's word2.doc was an "unknown"
 * type, its pp40only.ppt a PPT whose cleaning "changed its content".
 */

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-old-office-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function extracted(file: string, name: string): Promise<{ File: Record<string, unknown> } & Record<string, Record<string, unknown>>> {
  const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name, data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { metadata: { File: Record<string, unknown> } & Record<string, Record<string, unknown>> }).metadata;
}

describe("Office formats older than 97", () => {
  it("a Word for Windows 2.0 document (Apache POI's word2.doc) is refused naming its format, and extraction names it", async () => {
    const file = path.join(dir, "word2.doc");
    await fs.copyFile(path.join(import.meta.dirname, "fixtures", "doc", "word2.doc"), file);
    // A real Word 2.0 document: LibreOffice reads its text.
    await soffice(dir, ["--convert-to", "txt:Text (encoded):UTF8", "--outdir", dir, file]);
    expect((await fs.readFile(path.join(dir, "word2.txt"), "utf8")).trim().length).toBeGreaterThan(20);

    const { status, body, cleaned } = await removeViaApi(server, file, "word2.doc");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("Metadata removal is not supported for this file type (Word 2.0 document)");
    expect(cleaned).toBeNull();
    const metadata = await extracted(file, "word2.doc");
    expect(metadata.File["FileType"]).toBe("Word 2.0 document");
    expect(metadata.File["Type"]).toBe("application/msword");
  }, 120_000);

  it("a PowerPoint 4.0 presentation (one PP40 stream, its properties naming PowerPoint) is refused naming its format; extraction shows its author", async () => {
    const author = `Pp40author${crypto.randomBytes(4).toString("hex")}`;
    const doc = CFB.utils.cfb_new();
    CFB.utils.cfb_add(doc, "PP40", crypto.randomBytes(4096));
    CFB.utils.cfb_add(doc, "\x05SummaryInformation", summaryInformation({ 2: "Slides", 4: author, 0x12: "Microsoft PowerPoint" }));
    const file = path.join(dir, "old.ppt");
    await fs.writeFile(file, CFB.write(doc, { type: "buffer", fileType: "cfb" }) as Buffer);

    const { status, body, cleaned } = await removeViaApi(server, file, "old.ppt");
    expect(status, JSON.stringify(body)).toBe(422);
    expect(body["error"]).toBe("Metadata removal is not supported for this file type (PowerPoint 4.0 presentation)");
    expect(cleaned).toBeNull();
    const metadata = await extracted(file, "old.ppt");
    expect(metadata.File["FileType"]).toBe("PowerPoint 4.0 presentation");
    expect(JSON.stringify(metadata)).toContain(author);
  }, 120_000);
});
