import crypto from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BlobStore } from "../src/store/blobs.js";
import { createS3BlobStore, parseS3Url } from "../src/store/s3-blobs.js";
import { S3_ACCESS_KEY, S3_SECRET_KEY, type Started, listObjects, startS3 } from "./helpers/backends.js";

let s3: Started<{ endpoint: string; bucket: string }>;
let dir: string;
let store: BlobStore;
const prefix = "unit";

beforeAll(async () => {
  s3 = await startS3();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-s3-unit-"));
  // The SDK reads credentials from the usual AWS variables, as it does in production.
  process.env["AWS_ACCESS_KEY_ID"] = S3_ACCESS_KEY;
  process.env["AWS_SECRET_ACCESS_KEY"] = S3_SECRET_KEY;
  store = createS3BlobStore({ url: `s3://${s3.urls.bucket}/${prefix}/`, endpoint: s3.urls.endpoint, region: "us-east-1", forcePathStyle: true, presignedDownloads: true });
});
afterAll(async () => {
  await store?.close?.();
  await s3?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

const list = () => listObjects({ s3Endpoint: s3.urls.endpoint, s3Bucket: s3.urls.bucket }, prefix);

describe("STORAGE_URL parsing", () => {
  it.each([
    ["s3://bucket", { bucket: "bucket", prefix: "" }],
    ["s3://bucket/", { bucket: "bucket", prefix: "" }],
    ["s3://bucket/a/b/", { bucket: "bucket", prefix: "a/b/" }],
    ["s3://my.bucket/exifapi", { bucket: "my.bucket", prefix: "exifapi/" }],
  ])("%s", (url, expected) => expect(parseS3Url(url)).toEqual(expected));

  it("refuses anything else", () => {
    for (const url of ["s3:/bucket", "https://bucket/x", "s3:///x"]) expect(() => parseS3Url(url)).toThrow(/s3:\/\/bucket/);
  });
});

describe("S3 blob store on an S3-compatible server", () => {
  it("streams a big file up in parts and back down unchanged", async () => {
    // 20 MB: three parts of the multipart upload.
    const data = crypto.randomBytes(20 * 1024 * 1024);
    const file = path.join(dir, "big.bin");
    await fs.writeFile(file, data);
    await store.put("big", file);
    expect(await list()).toContain("big");
    const back = await buffer(await store.get("big"));
    expect(back.equals(data)).toBe(true);
  });

  it("keeps a small file in one request", async () => {
    const file = path.join(dir, "small.bin");
    await fs.writeFile(file, "small");
    await store.put("small", file);
    expect((await buffer(await store.get("small"))).toString()).toBe("small");
  });

  it("rejects a missing key with ENOENT, as the folder store does", async () => {
    await expect(store.get("missing")).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("deletes, and deleting again (another instance's sweeper) succeeds", async () => {
    const file = path.join(dir, "gone.bin");
    await fs.writeFile(file, "gone");
    await store.put("gone", file);
    await Promise.all([store.delete("gone"), store.delete("gone")]);
    await store.delete("gone");
    expect(await list()).not.toContain("gone");
  });

  it("answers ping while the bucket exists, and fails it for a missing bucket", async () => {
    await store.ping();
    const other = createS3BlobStore({ url: "s3://no-such-bucket", endpoint: s3.urls.endpoint, region: "us-east-1", forcePathStyle: true, presignedDownloads: false });
    await expect(other.ping()).rejects.toThrow();
    await other.close?.();
  });

  it("signs a short-lived download URL that serves the bytes as an attachment", async () => {
    const file = path.join(dir, "signed.png");
    await fs.writeFile(file, "png bytes");
    await store.put("signed", file);
    const url = await store.signedDownloadUrl?.("signed", { mimeType: "image/png", contentDisposition: 'attachment; filename="a.png"', expiresInSeconds: 60 });
    expect(url).toMatch(/X-Amz-Expires=60/);
    const res = await fetch(url ?? "");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("png bytes");
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="a.png"');
  });
});
