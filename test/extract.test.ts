import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDocx, makeJpeg, makeMp3, makeMp4, makePdf, makePng } from "./helpers/make-files.js";
import { pngChunk } from "./helpers/make-images.js";
import { type RunningServer, postFile, startServer } from "./helpers/server.js";

let server: RunningServer;
let dir: string;

type Json = Record<string, any>;

async function extract(file: string, init: { headers?: Record<string, string>; fields?: Record<string, string>; query?: string; name?: string } = {}) {
  const res = await postFile(`${server.baseUrl}/api/v1/extract${init.query ?? ""}`, { name: init.name ?? path.basename(file), data: await fs.readFile(file) }, {
    headers: init.headers ?? { "X-API-Key": server.apiKey },
    fields: init.fields ?? {},
  });
  return { res, body: (await res.json()) as Json };
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-extract-"));
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
  await fs.rm(dir, { recursive: true, force: true });
});

describe("POST /api/v1/extract with an upload", () => {
  it("returns the contract's JSON for a JPEG with EXIF, GPS, IPTC, XMP and a thumbnail", async () => {
    const jpeg = await makeJpeg(dir);
    const size = (await fs.stat(jpeg)).size;
    const { res, body } = await extract(jpeg, { name: "holiday.jpg" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    expect(body.success).toBe(true);
    expect(body.status).toBe("completed");
    expect(body.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(body.fileName).toBe("holiday.jpg");
    expect(body.warnings).toEqual([]);
    const m = body.metadata;
    expect(m.File).toMatchObject({ Name: "holiday.jpg", Size: size, Type: "image/jpeg", FileType: "JPEG", FileName: "holiday.jpg", ImageWidth: "96" });
    expect(m.exif).toMatchObject({ Make: "Canon", Model: "EOS R5", ISO: "100", FNumber: "2.8", ExposureTime: "1/1000", Artist: "John Doe", DateTimeOriginal: "2024:03:15 10:30:00" });
    expect(m.exif.GPSLatitudeRef).toBe("North");
    expect(m.exif.ThumbnailImage).toMatch(/^\[binary data: \d+ bytes\]$/);
    expect(m.iptc).toMatchObject({ "By-line": "John Doe", CopyrightNotice: "© 2024", Keywords: ["one", "two"] });
    expect(m.xmp).toMatchObject({ Creator: "John Doe", Rights: "All rights reserved" });
    expect(m.composite.GPSPosition).toMatch(/48 deg 51' .* N, 2 deg 17' .* E/);
    for (const group of Object.keys(m)) {
      if (group !== "File") expect(group).toBe(group.toLowerCase());
    }
  });

  it("never returns SourceFile, the System group, server file dates or any server path", async () => {
    const { body } = await extract(await makeJpeg(dir, "private.jpg"));
    const text = JSON.stringify(body);
    expect(text).not.toContain("SourceFile");
    expect(text).not.toContain(server.dataDir);
    expect(text).not.toContain("/tmp");
    expect(body.metadata.system).toBeUndefined();
    expect(body.metadata.exiftool).toBeUndefined();
    for (const hidden of ["Directory", "FilePermissions", "FileModifyDate", "FileAccessDate", "FileInodeChangeDate"]) {
      expect(body.metadata.File).not.toHaveProperty(hidden);
    }
  });

  it("gives ExifTool's -n values with numeric=true, from the query string or a form field", async () => {
    const jpeg = await makeJpeg(dir, "numeric.jpg");
    for (const init of [{ query: "?numeric=true" }, { fields: { numeric: "true" } }]) {
      const { res, body } = await extract(jpeg, init);
      expect(res.status).toBe(200);
      expect(body.metadata.exif.ISO).toBe(100);
      expect(body.metadata.exif.ExposureTime).toBe(0.001);
      expect(typeof body.metadata.exif.GPSLatitude).toBe("number");
      expect(body.metadata.File.Size).toBe((await fs.stat(jpeg)).size);
    }
  });

  it.each([
    ["PNG text chunks", makePng, "png", { Author: "Jane Roe", Comment: "made for a test" }, "image/png"],
    ["PDF Info", makePdf, "pdf", { Author: "Jane Roe", Title: "Quarterly report" }, "application/pdf"],
    ["MP3 ID3 tags", makeMp3, "id3", { Title: "Test Song", Artist: "The Testers" }, "audio/mpeg"],
    ["MP4 user data", makeMp4, "quicktime", { Title: "Holiday clip", Artist: "Jane Roe" }, "video/mp4"],
    ["DOCX core properties", makeDocx, "xml", { LastModifiedBy: "John Doe", CreateDate: "2024:03:15 10:30:00Z" }, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
  ] as const)("reads %s", async (_label, make, group, expected, mime) => {
    const { res, body } = await extract(await make(dir));
    expect(res.status).toBe(200);
    expect(body.metadata.File.Type).toBe(mime);
    expect(body.metadata[group]).toMatchObject(expected);
  });

  it("returns a long UTF-8 value whole: no character is broken where ExifTool's output came in pieces", async () => {
    // 600 kB of three-byte characters, under the 1 MiB cut: ExifTool's JSON reaches the service in
    // pieces of at most 64 kB (a pipe's reads), and most piece ends fall inside a character.
    const text = "\u20AC".repeat(200_000);
    const png = await fs.readFile(await makePng(dir));
    const iend = png.length - 12;
    const itxt = pngChunk("iTXt", Buffer.concat([Buffer.from("Description\0\x01\0\0\0", "latin1"), zlib.deflateSync(text)]));
    const file = path.join(dir, "euro.png");
    await fs.writeFile(file, Buffer.concat([png.subarray(0, iend), itxt, png.subarray(iend)]));
    const { res, body } = await extract(file);
    expect(res.status).toBe(200);
    const value = body.metadata.png.Description as string;
    expect({ length: value.length, broken: value.split("\uFFFD").length - 1 }).toEqual({ length: text.length, broken: 0 });
    expect(value === text).toBe(true);
  });
});

describe("files ExifTool cannot parse", () => {
  it.each([
    ["an empty file", Buffer.alloc(0), "empty.jpg"],
    ["random bytes", Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)), "noise.bin"],
    ["a truncated JPEG", null, "cut.jpg"],
  ] as const)("answer 200 with File and warnings for %s", async (_label, bytes, name) => {
    const data = bytes ?? (await fs.readFile(await makeJpeg(dir, "whole.jpg"))).subarray(0, 300);
    const file = path.join(dir, name);
    await fs.writeFile(file, data);
    const { res, body } = await extract(file);
    expect(res.status).toBe(200);
    expect(body.success).toBe(true);
    expect(body.metadata.File).toMatchObject({ Name: name, Size: data.length });
    expect(body.warnings.length).toBeGreaterThan(0);
    expect(JSON.stringify(body)).not.toContain(server.dataDir);
  });

  it("detects the type from the bytes, not the name", async () => {
    const png = await makePng(dir);
    const { res, body } = await extract(png, { name: "looks-like.jpg" });
    expect(res.status).toBe(200);
    expect(body.metadata.File.Type).toBe("image/png");
    expect(body.metadata.File.FileType).toBe("PNG");
    expect(body.fileName).toBe("looks-like.jpg");
  });
});

describe("parameters", () => {
  it("refuses a request with neither a file nor a url", async () => {
    const res = await fetch(`${server.baseUrl}/api/v1/extract`, { method: "POST", headers: { "X-API-Key": server.apiKey } });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ success: false, error: expect.stringMatching(/^Invalid request parameters: /) });
  });

  it("refuses an empty JSON object", async () => {
    const res = await fetch(`${server.baseUrl}/api/v1/extract`, {
      method: "POST",
      headers: { "X-API-Key": server.apiKey, "Content-Type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toMatch(/^Invalid request parameters: /);
  });

  it("refuses a file and a url together, and removes the uploaded file", async () => {
    const { res, body } = await extract(await makePng(dir), { fields: { url: "https://example.com/a.jpg" } });
    expect(res.status).toBe(400);
    expect(body.error).toMatch(/^Invalid request parameters: .*not both/);
    const tmp = await fs.readdir(path.join(server.dataDir, "tmp"), { recursive: true, withFileTypes: true });
    expect(tmp.filter((e) => e.isFile())).toEqual([]);
  });

  it("refuses a bad numeric option", async () => {
    const { res, body } = await extract(await makePng(dir), { query: "?numeric=maybe" });
    expect(res.status).toBe(400);
    expect(body.error).toBe("Invalid request parameters: numeric must be true or false");
  });

  it("refuses a file sent in another form field", async () => {
    const form = new FormData();
    form.append("upload", new Blob([await fs.readFile(await makePng(dir))]), "a.png");
    const res = await fetch(`${server.baseUrl}/api/v1/extract`, { method: "POST", body: form, headers: { "X-API-Key": server.apiKey } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toMatch(/form field "file"/);
  });

  it("refuses malformed JSON and unsupported content types with 400", async () => {
    const cases: Array<[string, string]> = [["application/json", "{nope"], ["application/octet-stream", "raw"]];
    for (const [type, body] of cases) {
      const res = await fetch(`${server.baseUrl}/api/v1/extract`, { method: "POST", headers: { "X-API-Key": server.apiKey, "Content-Type": type }, body });
      expect(res.status).toBe(400);
      expect(((await res.json()) as Json).error).toMatch(/^Invalid request parameters: /);
    }
  });
});

describe("GET /api/v1/extract/{uuid}", () => {
  it("returns the stored result with createdAt and filename, by the key rules of the contract", async () => {
    const { body: first } = await extract(await makeJpeg(dir, "stored.jpg"));
    const url = `${server.baseUrl}/api/v1/extract/${first.uuid}`;

    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(200);
    const stored = (await anonymous.json()) as Json;
    expect(stored).toMatchObject({ success: true, status: "completed", uuid: first.uuid, fileName: "stored.jpg", filename: "stored.jpg" });
    expect(stored.metadata).toEqual(first.metadata);
    expect(stored.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    expect((await fetch(url, { headers: { "X-API-Key": server.apiKey } })).status).toBe(200);
    expect((await fetch(`${url}?key=${server.apiKey}`)).status).toBe(200);

    const other = await server.cli(["keys", "create", "--name", "other"]);
    const otherKey = other.stdout.trim().split("\n").at(-1)!;
    const hidden = await fetch(url, { headers: { "X-API-Key": otherKey } });
    expect(hidden.status).toBe(404);
    expect(await hidden.json()).toEqual({ success: false, error: "No extraction found with the given UUID." });

    const invalid = await fetch(url, { headers: { "X-API-Key": "exk_not-a-real-key" } });
    expect(invalid.status).toBe(401);
    expect(await invalid.json()).toEqual({ success: false, error: "Invalid API key" });
  });

  it.each(["00000000-0000-4000-8000-000000000000", "not-a-uuid", "../../etc/passwd"])("answers 404 for %s", async (id) => {
    const res = await fetch(`${server.baseUrl}/api/v1/extract/${encodeURIComponent(id)}`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ success: false, error: "No extraction found with the given UUID." });
  });
});
