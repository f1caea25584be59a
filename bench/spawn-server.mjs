// @ts-check
/**
 * Reference (b): what a naive clone of the public API does. A bare node:http server that takes
 * the same multipart upload, writes it to a temp file and spawns `perl exiftool -j -G FILE` for
 * every request. Run as a process of its own so that its CPU is not mixed with the bench's.
 * Prints its port on stdout once it listens.
 */
import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fsp from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileFromMultipart } from "./lib/multipart.mjs";
import { EXIFTOOL } from "./lib/tools.mjs";

const dir = await fsp.mkdtemp(path.join(process.argv[2] ?? os.tmpdir(), "spawn-ref-"));

const server = http.createServer((req, res) => {
  /** @type {Buffer[]} */
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    const file = path.join(dir, crypto.randomUUID());
    try {
      await fsp.writeFile(file, fileFromMultipart(Buffer.concat(chunks), req.headers["content-type"] ?? ""));
      const json = await new Promise((resolve, reject) =>
        execFile("perl", [EXIFTOOL, "-j", "-G", file], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) =>
          // ExifTool exits 1 with its JSON for a file it cannot fully read: only no output is a failure.
          err != null && stdout === "" ? reject(new Error(`exiftool exited ${String(err.code)}: ${stderr.slice(0, 300)}`)) : resolve(stdout),
        ),
      );
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ success: true, metadata: JSON.parse(String(json))[0] }));
    } catch (err) {
      res.writeHead(500).end(JSON.stringify({ success: false, error: String(err) }));
    } finally {
      await fsp.rm(file, { force: true });
    }
  });
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
