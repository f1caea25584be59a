import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeAdts } from "./helpers/make-aac.js";
import { postFile, type RunningServer, startServer } from "./helpers/server.js";

let server: RunningServer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-upload-head-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

/** An ID3v2.3 tag of `size` bytes of padding (zeros), as a tagger leaves room to grow. */
function paddedId3v2(size: number): Buffer {
  const header = Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, (size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f]);
  return Buffer.concat([header, Buffer.alloc(size)]);
}

async function fileTypeOf(file: string): Promise<unknown> {
  const res = await postFile(`${server.baseUrl}/api/v1/extract`, { name: path.basename(file), data: await fs.readFile(file) }, { headers: { "X-API-Key": server.apiKey } });
  const body = (await res.json()) as { metadata: { File: Record<string, unknown> } };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.metadata.File["FileType"];
}

// The upload's first 64 KiB are kept as they are written (they arrive in several chunks), and the
// type is told from them without opening the file again; bytes past them are read from the file.
describe("the type told by the bytes after an ID3v2 tag (ExifTool says MP3 for raw AAC behind one)", () => {
  it("within the upload's first 64 KiB and past them", async () => {
    const frames = await fs.readFile(await makeAdts(dir, [], "frames"));
    for (const padding of [30_000, 65_500, 100_000]) {
      const file = path.join(dir, `behind-${padding}.aac`);
      await fs.writeFile(file, Buffer.concat([paddedId3v2(padding), frames]));
      expect(await fileTypeOf(file), `ID3v2 tag of ${padding} bytes`).toBe("AAC");
    }
  });
});
