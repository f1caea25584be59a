import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parse as parseContentDisposition } from "content-disposition";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "./helpers/make-files.js";
import { postRaw, rawMultipart, recordingServer } from "./helpers/fuzz-http.js";
import { tempFiles } from "./helpers/fuzz-proc.js";
import { type RunningServer, startServer } from "./helpers/server.js";

let server: RunningServer;
let dir: string;
let jpeg: Buffer;

beforeAll(async () => {
  server = await startServer({ ALLOW_PRIVATE_URLS: "true" });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-names-"));
  jpeg = await fs.readFile(await makeJpeg(dir));
});

afterAll(async () => {
  await server?.stop();
  if (dir != null) await fs.rm(dir, { recursive: true, force: true });
});

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** What every name the service hands back must be, whatever the client sent. */
function expectSafeName(name: unknown): asserts name is string {
  expect(typeof name).toBe("string");
  const s = name as string;
  expect(s).not.toMatch(CONTROL);
  expect(s).not.toMatch(/[/\\]/);
  expect(s).not.toBe("..");
  expect(s.length).toBeGreaterThan(0);
  expect(Buffer.byteLength(s, "utf8")).toBeLessThanOrEqual(200);
}

/** The download's Content-Disposition: an attachment, plain ASCII on the wire, naming `name`. */
async function expectDownloadNamed(downloadUrl: string, name: string): Promise<void> {
  const res = await fetch(downloadUrl);
  expect(res.status).toBe(200);
  const header = res.headers.get("content-disposition") ?? "";
  expect(header).toMatch(/^attachment;/);
  expect(header).toMatch(/^[\x20-\x7e]+$/);
  expect(parseContentDisposition(header).parameters["filename"]).toBe(name);
  await res.arrayBuffer();
}

const latin1 = (s: string): Buffer => Buffer.from(s, "latin1");

type NameCase = [label: string, param: Buffer, expected: string | null];

const uploads: NameCase[] = [
  ["a path that climbs out", latin1('filename="../../../etc/passwd.jpg"'), "passwd.jpg"],
  ["a Windows path", latin1('filename="..\\..\\boot.ini.jpg"'), "boot.ini.jpg"],
  ["a bare ..", latin1('filename=".."'), "file"],
  ["a NUL byte", latin1('filename="nul\u0000byte.jpg"'), "nulbyte.jpg"],
  ["raw CR/LF, ending the header line early", latin1('filename="evil\r\nSet-Cookie: a=b.jpg"'), "evil"],
  ["CR/LF escaped as browsers do", latin1('filename="evil%0D%0ASet-Cookie: a=b.jpg"'), "evil%0D%0ASet-Cookie: a=b.jpg"],
  ["a quote in filename*", latin1("filename*=UTF-8''say%22hi%22.jpg"), 'say"hi".jpg'],
  ["non-ASCII in filename*", latin1("filename*=UTF-8''%D1%84%D0%BE%D1%82%D0%BE%20%E2%82%AC.jpg"), "фото €.jpg"],
  ["raw UTF-8 bytes, as browsers send them", Buffer.from('filename="été.jpg"', "utf8"), "été.jpg"],
  ["bidirectional overrides", latin1("filename*=UTF-8''gpj%E2%80%AE.exe"), "gpj.exe"],
  ["an ExifTool option as a name", latin1('filename="-o x.jpg"'), "-o x.jpg"],
  ["an ExifTool argument file as a name", latin1('filename="-@ /etc/passwd"'), "passwd"],
  ["an ExifTool argument file, no slash", latin1('filename="-@"'), "-@"],
  ["a very long name", latin1(`filename="${"a".repeat(5000)}.jpg"`), `${"a".repeat(196)}.jpg`],
];

describe("upload names", () => {
  it.each(uploads)("%s comes back sanitised in fileName, the stored result and the download header", async (_label, param, expected) => {
    const extracted = await postRaw(`${server.baseUrl}/api/v1/extract`, server.apiKey, rawMultipart(param, jpeg));
    expect(extracted.status).toBe(200);
    const name = extracted.body["fileName"];
    expectSafeName(name);
    if (expected != null) expect(name).toBe(expected);
    const file = (extracted.body["metadata"] as Record<string, Record<string, unknown>>)["File"];
    expect(file?.["Name"]).toBe(name);
    // The name never reached ExifTool as an argument: it read the bytes, a JPEG made by ImageMagick.
    expect(file?.["FileType"]).toBe("JPEG");
    expect((extracted.body["metadata"] as Record<string, Record<string, unknown>>)["exif"]?.["Make"]).toBe("Canon");

    const stored = await fetch(`${server.baseUrl}/api/v1/extract/${String(extracted.body["uuid"])}`);
    expect(((await stored.json()) as Record<string, unknown>)["fileName"]).toBe(name);

    const removed = await postRaw(`${server.baseUrl}/api/v1/remove`, server.apiKey, rawMultipart(param, jpeg));
    expect(removed.status).toBe(200);
    expect(removed.body["fileName"]).toBe(name);
    await expectDownloadNamed(String(removed.body["downloadUrl"]), name);
  });

  it("a filename* decoding to CR/LF is refused or sanitised, never a 5xx", async () => {
    const param = latin1("filename*=UTF-8''evil%0D%0ASet-Cookie%3A%20a%3Db.jpg");
    const res = await postRaw(`${server.baseUrl}/api/v1/remove`, server.apiKey, rawMultipart(param, jpeg));
    // busboy does not treat this part as a file: the request has no file, a 400.
    expect([200, 400]).toContain(res.status);
    if (res.status === 200) {
      expectSafeName(res.body["fileName"]);
      await expectDownloadNamed(String(res.body["downloadUrl"]), res.body["fileName"]);
    }
  });

  it("never became a path: stored files carry generated names only, and no temp file is left", async () => {
    const stored = await server.storedBlobs();
    for (const f of stored) expect(f).toMatch(/^[0-9a-f-]{36}$/);
    expect(await tempFiles(server.dataDir)).toEqual([]);
    await expect(fs.access(path.join(server.dataDir, "x.jpg"))).rejects.toThrow();
  });
});

describe("names of fetched files", () => {
  type Served = [label: string, urlPath: string, contentDisposition: string | null, expected: string];
  const served: Served[] = [
    ["an encoded ../ in the URL path", "/a/..%2F..%2Fetc%2Fpasswd.jpg", null, "passwd.jpg"],
    ["encoded CR/LF and NUL in the URL path", "/evil%0D%0Aname%00.jpg", null, "evilname.jpg"],
    // The fetcher takes URLs up to 2048 characters.
    ["a very long URL path", `/${"b".repeat(1900)}.jpg`, null, `${"b".repeat(196)}.jpg`],
    ["a Content-Disposition climbing out", "/x.jpg", 'attachment; filename="../../secret.jpg"', "secret.jpg"],
    ["a Content-Disposition with CR/LF and quotes in filename*", "/x.jpg", "attachment; filename*=UTF-8''a%0D%0Ab%22c.jpg", 'ab"c.jpg'],
    ["a Content-Disposition in UTF-8", "/x.jpg", "attachment; filename*=UTF-8''%E6%97%A5%E6%9C%AC.jpg", "日本.jpg"],
  ];

  it.each(served)("%s comes back sanitised", async (_label, urlPath, contentDisposition, expected) => {
    const origin = await recordingServer((_req, res) => {
      if (contentDisposition != null) res.setHeader("Content-Disposition", contentDisposition);
      res.setHeader("Content-Type", "image/jpeg");
      res.end(jpeg);
    });
    try {
      const res = await fetch(`${server.baseUrl}/api/v1/remove`, {
        method: "POST",
        headers: { "X-API-Key": server.apiKey, "Content-Type": "application/json" },
        body: JSON.stringify({ url: `${origin.url}${urlPath}` }),
      });
      const body = (await res.json()) as Record<string, unknown>;
      expect(res.status).toBe(200);
      expectSafeName(body["fileName"]);
      expect(body["fileName"]).toBe(expected);
      await expectDownloadNamed(String(body["downloadUrl"]), expected);
    } finally {
      await origin.close();
    }
  });
});

describe("user input never becomes an ExifTool argument", () => {
  it.each([
    ["numeric", "-execute"],
    ["numeric", "true\n-o\n/tmp/x"],
    ["keep", "-all"],
    ["keep", "orientation\n-execute"],
  ])("an option %s=%j is refused with a 400", async (field, value) => {
    const endpoint = field === "keep" ? "remove" : "extract";
    const res = await postRaw(`${server.baseUrl}/api/v1/${endpoint}`, server.apiKey, rawMultipart(latin1('filename="a.jpg"'), jpeg, { [field]: value }));
    expect(res.status).toBe(400);
    expect(String(res.body["error"])).toMatch(/^Invalid request parameters/);
  });
});
