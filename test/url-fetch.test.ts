import { randomUUID } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "../src/errors.js";
import { type UrlFetcher, type UrlFetcherOptions, createUrlFetcher } from "../src/intake/url-fetch.js";

/** A server on a loopback address that records every connection and request it gets. */
interface TestServer {
  port: number;
  connections: number;
  paths: string[];
  url(pathAndQuery: string): string;
  close(): Promise<void>;
}

async function startServer(host: string, handler: http.RequestListener): Promise<TestServer> {
  const server = http.createServer((req, res) => {
    state.paths.push(req.url ?? "");
    handler(req, res);
  });
  server.on("connection", () => {
    state.connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  const state: TestServer = {
    port,
    connections: 0,
    paths: [],
    url: (p) => `http://${host}:${port}${p}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

/** Test DNS: `evil.test` is loopback, `public.test` the 127.0.0.2 that tests treat as public. */
const zone: Record<string, string[]> = {
  "evil.test": ["127.0.0.1"],
  "public.test": ["127.0.0.2"],
  "mixed.test": ["93.184.215.14", "127.0.0.1"],
  "metadata.test": ["169.254.169.254"],
  "mapped.test": ["::ffff:127.0.0.1"],
};

const lookup: net.LookupFunction = (hostname, options, callback) => {
  const addresses = (zone[hostname] ?? []).map((address) => ({ address, family: net.isIP(address) }));
  const first = addresses[0];
  if (first == null) callback(Object.assign(new Error(`queryA ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }), "");
  else if (options.all === true) callback(null, addresses);
  else callback(null, first.address, first.family);
};

const MiB = 1024 * 1024;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "exifapi-url-fetch-"));
const newDest = (): string => path.join(dir, randomUUID());
const fetchers: UrlFetcher[] = [];

function fetcher(opts: Partial<UrlFetcherOptions> = {}): UrlFetcher {
  const f = createUrlFetcher({ allowPrivate: false, maxBytes: MiB, timeoutMs: 5_000, ...opts });
  fetchers.push(f);
  return f;
}

/** The AppError a fetch fails with; the partial file is gone. */
async function failure(f: UrlFetcher, url: string): Promise<AppError> {
  const dest = newDest();
  const err: unknown = await f.fetchToFile(url, dest).then(
    () => new Error(`expected ${url} to be refused`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect(fs.existsSync(dest)).toBe(false);
  return err as AppError;
}

afterAll(async () => {
  await Promise.all(fetchers.map((f) => f.close()));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("with private addresses refused (the production setting)", () => {
  let target: TestServer;
  let allowed: TestServer;
  beforeAll(async () => {
    target = await startServer("127.0.0.1", (_req, res) => res.end("internal secret"));
    // Stands for a public server: its address is on the test-only allow-list.
    allowed = await startServer("127.0.0.2", (req, res) => {
      const location = new URL(req.url ?? "/", "http://x").searchParams.get("to");
      if (location == null) res.end("public file");
      else res.writeHead(302, { location }).end();
    });
  });
  afterAll(async () => {
    await target.close();
    await allowed.close();
  });

  const spellings = [
    "127.0.0.1",
    "2130706433",
    "0x7f000001",
    "0177.0.0.1",
    "127.1",
    "0.0.0.0",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "[::]",
    "localhost",
  ];
  it.each(spellings)("refuses http://%s:PORT/ and the server sees no connection", async (host) => {
    const before = target.connections;
    const err = await failure(fetcher(), `http://${host}:${target.port}/secret`);
    expect(err.publicMessage).toBe("Could not fetch the URL: the address is not public");
    expect(target.connections).toBe(before);
  });

  it.each(["evil.test", "mixed.test", "metadata.test", "mapped.test"])(
    "refuses %s, whose lookup the test controls, before connecting",
    async (host) => {
      const before = target.connections;
      const err = await failure(fetcher({ testing: { lookup } }), `http://${host}:${target.port}/secret`);
      expect(err.publicMessage).toBe("Could not fetch the URL: the address is not public");
      expect(target.connections).toBe(before);
    },
  );

  it("fetches from the allow-listed stand-in, so the refusals below come from the redirect target", async () => {
    const dest = newDest();
    const f = fetcher({ testing: { lookup, allowAddresses: ["127.0.0.2"] } });
    await f.fetchToFile(`http://public.test:${allowed.port}/ok.txt`, dest);
    expect(fs.readFileSync(dest, "utf8")).toBe("public file");
  });

  it.each([
    ["a literal loopback address", (port: number) => `http://127.0.0.1:${port}/secret`],
    ["a name that resolves to loopback", (port: number) => `http://evil.test:${port}/secret`],
    ["the same name, which now resolves to loopback (DNS rebinding)", (port: number) => `http://public.test:${port}/secret`],
  ])("refuses a redirect to %s", async (_label, target2) => {
    const rebinding: Record<string, string[]> = { ...zone };
    let publicLookups = 0;
    const rebindingLookup: net.LookupFunction = (hostname, options, callback) => {
      if (hostname === "public.test" && ++publicLookups > 1) rebinding["public.test"] = ["127.0.0.1"];
      const addresses = rebinding[hostname] ?? [];
      lookup(hostname, options, (err, _address, family) => {
        if (err != null || options.all !== true) callback(err, addresses[0] ?? "", family);
        else callback(null, addresses.map((address) => ({ address, family: net.isIP(address) })));
      });
    };
    const f = fetcher({ testing: { lookup: rebindingLookup, allowAddresses: ["127.0.0.2"] } });
    const before = { paths: allowed.paths.length, connections: target.connections };
    const to = encodeURIComponent(target2(target.port));
    const err = await failure(f, `http://public.test:${allowed.port}/?to=${to}`);
    expect(err.publicMessage).toBe("Could not fetch the URL: the address is not public");
    expect(allowed.paths.length).toBe(before.paths + 1);
    expect(target.connections).toBe(before.connections);
  });

  it("logs a refusal as a warning with the host, never the query", async () => {
    const lines: Array<{ level: string; obj: object; msg: string }> = [];
    const logger = {
      warn: (obj: object, msg: string) => lines.push({ level: "warn", obj, msg }),
      info: (obj: object, msg: string) => lines.push({ level: "info", obj, msg }),
    };
    await failure(fetcher({ testing: { lookup }, logger }), `http://evil.test:${target.port}/a?token=s3cret`);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "warn", obj: { host: `evil.test:${target.port}` } });
    expect(JSON.stringify(lines[0]?.obj)).not.toContain("s3cret");
  });

  it("says when a host name does not resolve", async () => {
    const err = await failure(fetcher({ testing: { lookup } }), "http://nowhere.test/a.jpg");
    expect(err.publicMessage).toBe("Could not fetch the URL: the host name could not be resolved");
  });
});

describe("with private addresses allowed (ALLOW_PRIVATE_URLS=true)", () => {
  let server: TestServer;
  let f: UrlFetcher;
  /** Bytes the endless response had written when the client went away. */
  let endlessSent: Promise<number>;
  let reportEndless: (bytes: number) => void;

  beforeAll(async () => {
    endlessSent = new Promise((resolve) => {
      reportEndless = resolve;
    });
    server = await startServer("127.0.0.1", (req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      const hops = /^\/hop\/(\d+)$/.exec(url.pathname);
      if (hops != null) {
        const left = Number(hops[1]);
        // Relative Location: resolved against the current URL.
        if (left > 0) res.writeHead(302, { location: `${left - 1}` }).end();
        else res.writeHead(200, { "content-disposition": 'attachment; filename="final.bin"' }).end("arrived");
        return;
      }
      switch (url.pathname) {
        case "/photos/My%20Photo.jpg":
          res.writeHead(200, { "content-type": "image/jpeg" }).end(Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
          return;
        case "/named":
          res.writeHead(200, {
            "content-disposition": `attachment; filename="resume.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`,
          });
          res.end("%PDF");
          return;
        case "/traversal":
          res.writeHead(200, { "content-disposition": 'attachment; filename="../../etc/cron.d/x.sh"' }).end("x");
          return;
        case "/":
          res.end("root");
          return;
        case "/exact":
          res.end(Buffer.alloc(MiB));
          return;
        case "/endless": {
          // No Content-Length: chunked, and it would go on to 64 MiB if nobody stopped it.
          let sent = 0;
          const chunk = Buffer.alloc(64 * 1024, 1);
          const pump = (): void => {
            while (sent < 64 * MiB && !res.destroyed) {
              sent += chunk.length;
              if (!res.write(chunk)) return void res.once("drain", pump);
            }
            res.end();
          };
          res.once("close", () => reportEndless(sent));
          pump();
          return;
        }
        case "/announced-big":
          // Announces more than the limit and sends nothing: only the header can end this early.
          res.writeHead(200, { "content-length": String(MiB + 1) }).flushHeaders();
          return;
        case "/silent":
          return;
        case "/trickle":
          res.writeHead(200, { "content-length": "100" }).write("a");
          return;
        case "/to-ftp":
          res.writeHead(301, { location: "ftp://example.com/file" }).end();
          return;
        default:
          res.writeHead(404).end("no");
      }
    });
    f = fetcher({ allowPrivate: true, timeoutMs: 2_000 });
  });
  afterAll(() => server.close());

  it("fetches a file, its name taken from the URL path, decoded", async () => {
    const dest = newDest();
    const got = await f.fetchToFile(server.url("/photos/My%20Photo.jpg"), dest);
    expect(got).toEqual({ fileName: "My Photo.jpg", size: 4, contentType: "image/jpeg" });
    expect(fs.readFileSync(dest)).toEqual(Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
  });

  it("takes the name from Content-Disposition, filename* first", async () => {
    const got = await f.fetchToFile(server.url("/named"), newDest());
    expect(got.fileName).toBe("résumé.pdf");
  });

  it("sanitises the name a server gives", async () => {
    const got = await f.fetchToFile(server.url("/traversal"), newDest());
    expect(got.fileName).toBe("x.sh");
  });

  it('names a file without any name "download"', async () => {
    const got = await f.fetchToFile(server.url("/"), newDest());
    expect(got).toEqual({ fileName: "download", size: 4, contentType: null });
  });

  it("follows 5 redirects, relative ones included, and names the file from the final response", async () => {
    const dest = newDest();
    const got = await f.fetchToFile(server.url("/hop/5"), dest);
    expect(got.fileName).toBe("final.bin");
    expect(fs.readFileSync(dest, "utf8")).toBe("arrived");
  });

  it("refuses a 6th redirect without following it", async () => {
    const before = server.paths.length;
    const err = await failure(f, server.url("/hop/6"));
    expect(err.publicMessage).toBe("Could not fetch the URL: too many redirects");
    expect(server.paths.slice(before)).toEqual(["/hop/6", "/hop/5", "/hop/4", "/hop/3", "/hop/2", "/hop/1"]);
  });

  it("refuses a redirect to a scheme other than http and https", async () => {
    const err = await failure(f, server.url("/to-ftp"));
    expect(err.code).toBe("fetch_failed");
    expect(err.publicMessage).toMatch(/^Could not fetch the URL: the server redirected to a URL that cannot be fetched/);
  });

  it("accepts a body of exactly the limit", async () => {
    const got = await f.fetchToFile(server.url("/exact"), newDest());
    expect(got.size).toBe(MiB);
  });

  it("cuts off a body without Content-Length once it passes the limit", async () => {
    const err = await failure(f, server.url("/endless"));
    expect(err.publicMessage).toBe("Could not fetch the URL: the file is larger than the limit (1 MB)");
    expect(await endlessSent).toBeLessThan(16 * MiB);
  });

  it("refuses a Content-Length over the limit before reading the body", async () => {
    const started = Date.now();
    const err = await failure(f, server.url("/announced-big"));
    expect(err.publicMessage).toBe("Could not fetch the URL: the file is larger than the limit (1 MB)");
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it.each(["/silent", "/trickle"])("gives up on %s at the total timeout", async (p) => {
    const slow = fetcher({ allowPrivate: true, timeoutMs: 300 });
    const started = Date.now();
    const err = await failure(slow, server.url(p));
    expect(err.publicMessage).toBe("Could not fetch the URL: the server took too long to answer");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("refuses a non-2xx answer", async () => {
    const err = await failure(f, server.url("/missing.jpg"));
    expect(err.status).toBe(400);
    expect(err.publicMessage).toBe("Could not fetch the URL: the server answered 404");
  });

  it("leaves alone a destination that already exists", async () => {
    const dest = newDest();
    fs.writeFileSync(dest, "not yours");
    await expect(f.fetchToFile(server.url("/"), dest)).rejects.toMatchObject({ code: "EEXIST" });
    expect(fs.readFileSync(dest, "utf8")).toBe("not yours");
  });

  it("says when nothing listens", async () => {
    const closed = await startServer("127.0.0.1", () => undefined);
    await closed.close();
    const err = await failure(f, closed.url("/a.jpg"));
    expect(err.publicMessage).toBe("Could not fetch the URL: the server refused the connection");
  });

  it.each([
    ["not a url", "the URL is not valid"],
    ["", "the URL is not valid"],
    ["/relative/path.jpg", "the URL is not valid"],
    ["ftp://example.com/a.jpg", "only http and https URLs can be fetched"],
    ["file:///etc/passwd", "only http and https URLs can be fetched"],
    ["javascript:alert(1)", "only http and https URLs can be fetched"],
    ["data:text/plain,hello", "only http and https URLs can be fetched"],
    ["http://user:secret@127.0.0.1/a.jpg", "the URL must not contain a user name or password"],
    ["https://token@example.com/a.jpg", "the URL must not contain a user name or password"],
    [`http://example.com/${"a".repeat(2048)}`, "the URL is longer than 2048 characters"],
  ])("refuses %j as a bad request", async (url, reason) => {
    const err = await failure(f, url);
    expect(err.code).toBe("bad_request");
    expect(err.publicMessage).toBe(`Invalid request parameters: ${reason}`);
  });

  it("accepts a URL of exactly 2048 characters", async () => {
    const base = server.url("/photos/My%20Photo.jpg?");
    const got = await f.fetchToFile(base + "a".repeat(2048 - base.length), newDest());
    expect(got.size).toBe(4);
  });
});
