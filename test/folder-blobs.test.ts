import crypto from "node:crypto";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFolderBlobStore } from "../src/store/blobs.js";

let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-folder-blobs-"));
});
afterAll(async () => {
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

describe("folder blob store", () => {
  it("moves a file on the same filesystem into place instead of copying it", async () => {
    const store = createFolderBlobStore(path.join(dir, "files"));
    const data = crypto.randomBytes(1024 * 1024);
    const file = path.join(dir, "cleaned");
    await fs.writeFile(file, data);
    const { ino } = await fs.stat(file);
    await store.put("moved", file);
    // Same inode: the bytes were not copied; the temp name is gone, so the caller's removal is a no-op.
    expect((await fs.stat(path.join(dir, "files", "moved"))).ino).toBe(ino);
    await expect(fs.access(file)).rejects.toMatchObject({ code: "ENOENT" });
    expect((await buffer(await store.get("moved"))).equals(data)).toBe(true);
  });

  it("reads a stored file whole, in mebibyte reads sized to what is left", async () => {
    const store = createFolderBlobStore(path.join(dir, "files"));
    for (const size of [0, 1, 700_000, 1024 * 1024, 2.5 * 1024 * 1024]) {
      const data = crypto.randomBytes(size);
      const file = path.join(dir, `sized-${size}`);
      await fs.writeFile(file, data);
      await store.put(`sized-${size}`, file);
      const chunks: Buffer[] = [];
      for await (const chunk of await store.get(`sized-${size}`)) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).equals(data)).toBe(true);
      // No chunk is larger than a mebibyte, and only the last is short.
      expect(chunks.every((c) => c.length <= 1024 * 1024)).toBe(true);
      expect(chunks.slice(0, -1).every((c) => c.length === 1024 * 1024)).toBe(true);
    }
  });

  // /dev/shm is a tmpfs on Linux: a file there cannot be renamed into a folder on the disk.
  const shm = "/dev/shm";
  it.runIf(existsSync(shm))("copies a file from another filesystem, leaving no partial file", async () => {
    const other = await fs.mkdtemp(path.join(shm, "exifapi-blobs-"));
    try {
      expect((await fs.stat(other)).dev).not.toBe((await fs.stat(dir)).dev);
      const store = createFolderBlobStore(path.join(dir, "files"));
      const file = path.join(other, "cleaned");
      await fs.writeFile(file, "across filesystems");
      await store.put("copied", file);
      expect((await buffer(await store.get("copied"))).toString()).toBe("across filesystems");
      expect((await fs.readdir(path.join(dir, "files"))).filter((f) => f.endsWith(".partial"))).toEqual([]);
    } finally {
      await fs.rm(other, { recursive: true, force: true });
    }
  });
});
