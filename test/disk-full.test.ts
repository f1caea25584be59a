import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makePng } from "./helpers/make-files.js";
import { DISTRIBUTED, type RunningServer, postFile, startServer } from "./helpers/server.js";

type Json = Record<string, any>;

/** A real full disk: DATA_DIR on a small tmpfs (needs root and a kernel that lets us mount). */
function mountTmpfs(dir: string, size: string): string | null {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { stdio: "pipe" });
    return null;
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err).trim();
  }
}

const root = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-diskfull-"));
const mountError = DISTRIBUTED ? "runs on the embedded folder store only" : mountTmpfs(root, "32m");

afterAll(async () => {
  if (mountError == null) execFileSync("umount", ["-l", root]);
  await fs.rm(root, { recursive: true, force: true });
});

describe.skipIf(mountError != null)(`a full disk (${mountError ?? "tmpfs as DATA_DIR"})`, () => {
  let server: RunningServer;
  let png: Buffer;
  const filler = path.join(root, "filler");

  beforeAll(async () => {
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-diskfull-src-"));
    png = await fs.readFile(await makePng(scratch));
    await fs.rm(scratch, { recursive: true });
    server = await startServer({ MAX_FILE_MB: "16" }, { dataDir: path.join(root, "data") });
  });
  afterAll(async () => server?.stop());

  const remove = (data: Buffer) =>
    postFile(`${server.baseUrl}/api/v1/remove`, { name: "a.png", data }, { headers: { "X-API-Key": server.apiKey } });
  const extract = (data: Buffer) =>
    postFile(`${server.baseUrl}/api/v1/extract`, { name: "a.png", data }, { headers: { "X-API-Key": server.apiKey } });

  it("answers a clear error when the disk fills up, keeps what it stored, and recovers", async () => {
    const earlierExtract = (await (await extract(png)).json()) as Json;
    const earlierRemove = (await (await remove(png)).json()) as Json;
    expect(earlierRemove.success).toBe(true);

    // Leave less room than the next upload needs.
    const { bavail, bsize } = await fs.statfs(root);
    await fs.writeFile(filler, Buffer.alloc(Math.max(0, bavail * bsize - 256 * 1024)));
    const big = Buffer.concat([png, Buffer.alloc(2 * 1024 * 1024, 7)]);
    for (const res of [await extract(big), await remove(big)]) {
      const body = (await res.json()) as Json;
      expect(res.status, JSON.stringify(body)).toBe(507);
      expect(body).toEqual({ success: false, error: "Not enough storage space to process the file" });
    }

    await fs.rm(filler);
    const stored = await fetch(`${server.baseUrl}/api/v1/extract/${earlierExtract.uuid}`);
    expect(stored.status).toBe(200);
    expect(((await stored.json()) as Json).metadata).toEqual(earlierExtract.metadata);
    const download = await fetch(earlierRemove.downloadUrl);
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBeGreaterThan(0);
    expect((await remove(png)).status).toBe(200);
    const leftovers = (await fs.readdir(path.join(server.dataDir, "tmp"), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    expect(leftovers).toEqual([]);
  });

  it("answers 507 when the disk fills while the cleaner writes the copy in its worker, and keeps nothing of it", async () => {
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-diskfull-noise-"));
    const noisy = path.join(scratch, "noise.png");
    execFileSync("convert", ["-size", "900x900", "xc:", "+noise", "Random", "-set", "comment", "Diskfullmarker", noisy]);
    const data = await fs.readFile(noisy);
    await fs.rm(scratch, { recursive: true });
    // Room for the upload, not for the copy beside it.
    const { bavail, bsize } = await fs.statfs(root);
    await fs.writeFile(filler, Buffer.alloc(Math.max(0, bavail * bsize - Math.round(data.length * 1.5))));
    const res = await remove(data);
    const body = (await res.json()) as Json;
    await fs.rm(filler);
    expect(res.status, JSON.stringify(body)).toBe(507);
    expect(body.error).toBe("Not enough storage space to process the file");
    expect((await remove(png)).status).toBe(200);
    const leftovers = (await fs.readdir(path.join(server.dataDir, "tmp"), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    expect(leftovers).toEqual([]);
  });
});
