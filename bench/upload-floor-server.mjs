// @ts-check
/**
 * Reference: the upload floor. A bare node:http server that receives the same multipart upload
 * into a file and, for a removal, streams it back as the download: every byte moved as any HTTP
 * removal service must move it, and nothing else (no type detection, no ExifTool, no cleaning).
 * `POST /extract` answers once the file is on disk; `POST /remove` answers with a download URL,
 * which `GET /download/ID` streams back once (then the file goes). Run as a process of its own so
 * that its CPU is not mixed with the bench's. Prints its port on stdout once it listens.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";

const dir = await fsp.mkdtemp(path.join(process.argv[2] ?? os.tmpdir(), "upload-floor-"));
/** @type {Map<string, { file: string, start: number, end: number }>} */
const stored = new Map();

/**
 * Streams the body to `file`; the file part's place in it is found from the framing our bench
 * sends (part headers end at the first blank line, the closing boundary is the last line).
 * @param {http.IncomingMessage} req @param {string} file
 */
async function receive(req, file) {
  const boundary = /boundary=(.+)$/.exec(req.headers["content-type"] ?? "")?.[1];
  if (boundary == null) throw new Error("no boundary");
  let head = Buffer.alloc(0);
  let start = -1;
  let size = 0;
  await pipeline(
    req,
    async function* (/** @type {AsyncIterable<Buffer>} */ source) {
      for await (const chunk of source) {
        if (start < 0 && head.length < 64 * 1024) {
          head = Buffer.concat([head, chunk]);
          const blank = head.indexOf("\r\n\r\n");
          if (blank >= 0) start = blank + 4;
        }
        size += chunk.length;
        yield chunk;
      }
    },
    fs.createWriteStream(file),
  );
  if (start < 0) throw new Error("not a form we sent");
  return { start, end: size - Buffer.byteLength(`\r\n--${boundary}--\r\n`) };
}

const server = http.createServer((req, res) => {
  void (async () => {
    const url = req.url ?? "/";
    if (req.method === "GET" && url.startsWith("/download/")) {
      const id = url.slice("/download/".length);
      const s = stored.get(id);
      if (s == null) return void res.writeHead(404).end();
      stored.delete(id);
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(s.end - s.start) });
      await pipeline(fs.createReadStream(s.file, { start: s.start, end: s.end - 1 }), res).finally(() => fsp.rm(s.file, { force: true }));
      return;
    }
    const id = crypto.randomUUID();
    const file = path.join(dir, id);
    try {
      const { start, end } = await receive(req, file);
      if (url === "/remove") {
        stored.set(id, { file, start, end });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ success: true, downloadUrl: `http://${req.headers.host}/download/${id}` }));
      } else {
        await fsp.rm(file, { force: true });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ success: true, size: end - start }));
      }
    } catch (err) {
      await fsp.rm(file, { force: true });
      res.writeHead(500).end(JSON.stringify({ success: false, error: String(err) }));
    }
  })();
});
server.listen(0, "127.0.0.1", () => {
  const addr = server.address();
  process.stdout.write(`${addr != null && typeof addr === "object" ? addr.port : 0}\n`);
});
const stop = () => {
  server.close();
  void fsp.rm(dir, { recursive: true, force: true }).then(() => process.exit(0));
};
process.on("SIGTERM", stop);
// The bench holds our stdin open: when it dies, however it dies, we go too.
process.stdin.on("end", stop).resume();
