import fs from "node:fs/promises";
import net from "node:net";
import type { RunningServer } from "./server.js";

export const BOUNDARY = "----exifapiraw";

/** A multipart form's opening up to the file's first byte (field `file`). */
export const FORM_HEAD = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`;

export interface Answer {
  status: number;
  /** The raw head (status line and headers), lower-cased. */
  head: string;
  body: string;
  /** The server closed the connection (rather than leaving it open for more requests). */
  closedByServer: boolean;
}

export interface RawUpload {
  socket: net.Socket;
  /**
   * Settles with the final answer (a "100 Continue" is skipped and noted), once it is whole or the
   * connection ended; with status 0 when none came within 30 s.
   */
  answer: Promise<Answer>;
  /** A "100 Continue" came. */
  continued(): boolean;
  /** Writes `chunk` again and again (waiting for drain) until the answer came, the socket failed or `max` bytes went. */
  sendUntilAnswered(chunk: Buffer, max: number): Promise<number>;
}

/**
 * A POST to `path` over a socket of its own, head written by hand (`headers` are added as given),
 * so that a test controls what the body declares and how its bytes arrive.
 */
export function rawUpload(server: RunningServer, path: string, headers: Record<string, string>): RawUpload {
  const url = new URL(server.baseUrl);
  const socket = net.connect(Number(url.port), url.hostname);
  socket.on("error", () => undefined); // EPIPE/ECONNRESET once the server closed: the answer says what happened
  const lines = [`POST ${path} HTTP/1.1`, `Host: ${url.host}`, `X-API-Key: ${server.apiKey}`, `Content-Type: multipart/form-data; boundary=${BOUNDARY}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  let received = Buffer.alloc(0);
  let continued = false;
  let answered = false;
  const answer = new Promise<Answer>((resolve) => {
    setTimeout(() => resolve({ status: 0, head: "", body: "", closedByServer: false }), 30_000).unref();
    const settle = (closedByServer: boolean): void => {
      let text = received.toString("latin1");
      if (text.startsWith("HTTP/1.1 100")) {
        continued = true;
        text = text.slice(text.indexOf("\r\n\r\n") + 4);
      }
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) {
        if (closedByServer) resolve({ status: 0, head: "", body: "", closedByServer });
        return;
      }
      const head = text.slice(0, end).toLowerCase();
      const body = text.slice(end + 4);
      const length = /content-length:\s*(\d+)/.exec(head);
      if (!closedByServer && (length == null || Buffer.byteLength(body, "latin1") < Number(length[1]))) return;
      answered = true;
      resolve({ status: Number(/^http\/1\.1 (\d+)/.exec(head)?.[1] ?? 0), head, body, closedByServer });
    };
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      settle(false);
    });
    socket.on("close", () => settle(true));
  });
  // Waits for the answer a little longer to learn whether the server closes the connection.
  const final = answer.then(async (a) => {
    if (a.closedByServer) return a;
    const closed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 2000);
      socket.once("close", () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    socket.destroy();
    return { ...a, closedByServer: closed };
  });
  return {
    socket,
    answer: final,
    continued: () => continued,
    async sendUntilAnswered(chunk, max) {
      let sent = 0;
      while (!answered && !socket.destroyed && sent < max) {
        const ok = socket.write(chunk);
        sent += chunk.length;
        if (!ok) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              socket.off("drain", done);
              socket.off("close", done);
              resolve();
            };
            socket.once("drain", done);
            socket.once("close", done);
          });
        }
      }
      return sent;
    },
  };
}

/** Bytes the process has read so far (from files and sockets alike: /proc's rchar). */
export async function bytesReadBy(pid: number): Promise<number> {
  const io = await fs.readFile(`/proc/${pid}/io`, "utf8");
  return Number(/^rchar:\s+(\d+)/m.exec(io)?.[1] ?? 0);
}
