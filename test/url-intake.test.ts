import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeJpeg } from "./helpers/make-files.js";
import { findMarker } from "./helpers/marker-scan.js";
import { ROOT, type RunningServer, startServer } from "./helpers/server.js";

type Json = Record<string, any>;

/** A loopback HTTP server whose routes the tests define, recording every request it receives. */
async function origin(handler: http.RequestListener): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const srv = http.createServer((req, res) => {
    hits.push(req.url ?? "");
    handler(req, res);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

let jpeg: Buffer;
let dir: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-url-"));
  jpeg = await fs.readFile(await makeJpeg(dir));
});
afterAll(async () => fs.rm(dir, { recursive: true, force: true }));

const postJson = (server: RunningServer, endpoint: string, body: unknown) =>
  fetch(`${server.baseUrl}/api/v1/${endpoint}`, {
    method: "POST",
    headers: { "X-API-Key": server.apiKey, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

/** The service resolves `evil.test` to loopback: DNS the test controls, through the real lookup. */
const FAKE_DNS = {
  NODE_OPTIONS: `--import=${path.join(ROOT, "test", "helpers", "fake-dns.mjs")}`,
  FAKE_DNS: "evil.test=127.0.0.1,evil6.test=::1",
};

describe("with ALLOW_PRIVATE_URLS off (the default)", () => {
  let server: RunningServer;
  let target: Awaited<ReturnType<typeof origin>>;
  beforeAll(async () => {
    server = await startServer(FAKE_DNS);
    target = await origin((_req, res) => res.end(jpeg));
  });
  afterAll(async () => {
    await server?.stop();
    await target?.close();
  });

  it("refuses every spelling of a loopback address, and the target never sees a request", async () => {
    const port = new URL(target.url).port;
    const hosts = ["127.0.0.1", "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "[::1]", "[::ffff:127.0.0.1]", "localhost", "0.0.0.0"];
    for (const host of hosts) {
      const res = await postJson(server, "extract", { url: `http://${host}:${port}/photo.jpg` });
      expect(res.status, host).toBe(400);
      expect(((await res.json()) as Json).error, host).toMatch(/^Could not fetch the URL: /);
    }
    expect(target.hits).toEqual([]);
  });

  it("refuses a host name that resolves to loopback, and the target never sees a request", async () => {
    const port = new URL(target.url).port;
    for (const host of ["evil.test", "evil6.test"]) {
      const res = await postJson(server, "extract", { url: `http://${host}:${port}/photo.jpg` });
      expect(res.status, host).toBe(400);
      expect(((await res.json()) as Json).error, host).toBe("Could not fetch the URL: the address is not public");
    }
    expect(target.hits).toEqual([]);
  });

  it("refuses the cloud metadata address", async () => {
    const res = await postJson(server, "remove", { url: "http://169.254.169.254/latest/meta-data/" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toMatch(/^Could not fetch the URL: /);
  });

  it.each([
    ["an ftp URL", "ftp://example.com/a.jpg", /http/],
    ["a file URL", "file:///etc/passwd", /http/],
    ["credentials", "http://user:secret@example.com/a.jpg", /user name|password|credentials/i],
    ["a malformed URL", "not a url", /./],
    ["a URL over 2,048 characters", `https://example.com/${"a".repeat(2100)}`, /long|2048|2,048/i],
  ])("answers 400 Invalid request parameters for %s", async (_label, url, reason) => {
    const res = await postJson(server, "extract", { url });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as Json;
    expect(error).toMatch(/^Invalid request parameters: /);
    expect(error).toMatch(reason);
  });
});

describe("with ALLOW_PRIVATE_URLS on", () => {
  let server: RunningServer;
  let site: Awaited<ReturnType<typeof origin>>;
  beforeAll(async () => {
    server = await startServer({ ...FAKE_DNS, ALLOW_PRIVATE_URLS: "true", MAX_FILE_MB: "1", URL_TIMEOUT_SECONDS: "2" });
    site = await origin((req, res) => {
      const u = new URL(req.url ?? "/", "http://x");
      const hops = Number(u.searchParams.get("hops") ?? "0");
      if (u.pathname === "/redirect") {
        res.writeHead(302, { Location: hops > 1 ? `/redirect?hops=${hops - 1}` : "/files/photo.jpg" }).end();
      } else if (u.pathname === "/files/photo.jpg" || u.pathname === "/") {
        res.writeHead(200, { "Content-Type": "image/jpeg" }).end(jpeg);
      } else if (u.pathname === "/named") {
        res.writeHead(200, { "Content-Disposition": "attachment; filename=\"from-header.jpg\"" }).end(jpeg);
      } else if (u.pathname === "/endless") {
        res.writeHead(200, { "Content-Type": "application/octet-stream" });
        const chunk = Buffer.alloc(64 * 1024, 1);
        const pump = (): void => {
          while (res.write(chunk)) {
            if (res.writableLength > 8 * 1024 * 1024) break;
          }
        };
        res.on("drain", pump);
        res.on("error", () => undefined);
        pump();
      } else if (u.pathname === "/slow") {
        res.writeHead(200);
        res.write("a");
      } else {
        res.writeHead(404).end("nope");
      }
    });
  });
  afterAll(async () => {
    await server?.stop();
    await site?.close();
  });

  it("fetches and extracts a file given as JSON, as ?url= and as a form field", async () => {
    const url = `${site.url}/files/photo.jpg`;
    const asJson = await postJson(server, "extract", { url });
    const asQuery = await fetch(`${server.baseUrl}/api/v1/extract?url=${encodeURIComponent(url)}`, { method: "POST", headers: { "X-API-Key": server.apiKey } });
    const form = new FormData();
    form.append("url", url);
    const asForm = await fetch(`${server.baseUrl}/api/v1/extract`, { method: "POST", headers: { "X-API-Key": server.apiKey }, body: form });
    for (const res of [asJson, asQuery, asForm]) {
      expect(res.status).toBe(200);
      const body = (await res.json()) as Json;
      expect(body.fileName).toBe("photo.jpg");
      expect(body.metadata.File).toMatchObject({ Name: "photo.jpg", Size: jpeg.length, Type: "image/jpeg" });
      expect(body.metadata.exif.Make).toBe("Canon");
    }
  });

  it("fetches through a host name the test's DNS controls (so refusing it above is the policy's doing)", async () => {
    const res = await postJson(server, "extract", { url: `http://evil.test:${new URL(site.url).port}/files/photo.jpg` });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Json).metadata.exif.Make).toBe("Canon");
  });

  it("names the file from Content-Disposition, else from the detected type", async () => {
    const named = (await (await postJson(server, "extract", { url: `${site.url}/named` })).json()) as Json;
    expect(named.fileName).toBe("from-header.jpg");
    const bare = (await (await postJson(server, "extract", { url: `${site.url}/` })).json()) as Json;
    expect(bare.fileName).toBe("download.jpg");
    expect(bare.metadata.File.Name).toBe("download.jpg");
  });

  it("removes the metadata of a fetched file", async () => {
    const res = await postJson(server, "remove", { url: `${site.url}/files/photo.jpg` });
    const body = (await res.json()) as Json;
    expect(res.status, JSON.stringify(body)).toBe(200);
    const download = await fetch(body.downloadUrl);
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(await findMarker(bytes, "EOS R5")).toEqual([]);
    expect(await findMarker(bytes, "John Doe")).toEqual([]);
  });

  it("follows up to 5 redirects and refuses a 6th", async () => {
    expect((await postJson(server, "extract", { url: `${site.url}/redirect?hops=5` })).status).toBe(200);
    const res = await postJson(server, "extract", { url: `${site.url}/redirect?hops=6` });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toMatch(/^Could not fetch the URL: .*redirect/i);
  });

  it("cuts off a body larger than MAX_FILE_MB while streaming", async () => {
    const res = await postJson(server, "extract", { url: `${site.url}/endless` });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toMatch(/^Could not fetch the URL: .*(large|limit)/i);
  });

  it("gives up on a server slower than URL_TIMEOUT_SECONDS", async () => {
    const started = Date.now();
    const res = await postJson(server, "extract", { url: `${site.url}/slow` });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toMatch(/^Could not fetch the URL: .*(long|time)/i);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("answers 400 for a 404", async () => {
    const res = await postJson(server, "extract", { url: `${site.url}/missing.jpg` });
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).error).toMatch(/^Could not fetch the URL: .*404/);
  });

  it("leaves no temp file behind", async () => {
    const entries = await fs.readdir(path.join(server.dataDir, "tmp"), { recursive: true, withFileTypes: true });
    expect(entries.filter((e) => e.isFile())).toEqual([]);
  });
});

/**
 * A public server to redirect from: 1.2.3.4 (an ordinary public address) put on this machine's
 * loopback interface for the test, so the policy sees a public address while the bytes stay local.
 * Needs root and a kernel that lets us add the address; elsewhere the fetcher-level test
 * (test/url-fetch.test.ts) still covers the redirect.
 */
const PUBLIC_IP = "1.2.3.4";
function addPublicAddress(): string | null {
  try {
    execFileSync("ip", ["addr", "replace", `${PUBLIC_IP}/32`, "dev", "lo"], { stdio: "pipe" });
    return null;
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err).trim() || "ip addr failed";
  }
}
const noPublicAddress = addPublicAddress();

describe.skipIf(noPublicAddress != null)(`a redirect from a public server to loopback (${noPublicAddress ?? PUBLIC_IP} on lo)`, () => {
  let server: RunningServer;
  let target: Awaited<ReturnType<typeof origin>>;
  let publicSite: http.Server;
  const publicHits: string[] = [];
  let publicPort = 0;

  beforeAll(async () => {
    target = await origin((_req, res) => res.end(jpeg));
    publicSite = http.createServer((req, res) => {
      publicHits.push(req.url ?? "");
      if (req.url === "/to-loopback") res.writeHead(302, { Location: `${target.url}/photo.jpg` }).end();
      else res.writeHead(200, { "Content-Type": "image/jpeg" }).end(jpeg);
    });
    await new Promise<void>((r) => publicSite.listen(0, PUBLIC_IP, r));
    publicPort = (publicSite.address() as AddressInfo).port;
    server = await startServer({ ...FAKE_DNS, FAKE_DNS: `public.test=${PUBLIC_IP}` });
  });
  afterAll(async () => {
    await server?.stop();
    await target?.close();
    publicSite?.closeAllConnections();
    await new Promise((r) => publicSite?.close(r));
    execFileSync("ip", ["addr", "del", `${PUBLIC_IP}/32`, "dev", "lo"], { stdio: "pipe" });
  });

  it("fetches from the public server, and refuses its redirect to loopback before any request reaches it", async () => {
    const direct = await postJson(server, "extract", { url: `http://public.test:${publicPort}/photo.jpg` });
    expect(direct.status).toBe(200);

    const redirected = await postJson(server, "extract", { url: `http://public.test:${publicPort}/to-loopback` });
    expect(redirected.status).toBe(400);
    expect(((await redirected.json()) as Json).error).toBe("Could not fetch the URL: the address is not public");
    expect(publicHits).toContain("/to-loopback");
    expect(target.hits).toEqual([]);
  });
});
