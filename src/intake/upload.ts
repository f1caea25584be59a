import fs from "node:fs";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { FastifyRequest } from "fastify";
import { SCREEN_HEAD_BYTES } from "../cleaners/screen.js";
import { badRequest } from "../errors.js";
import type { TempSpace } from "./temp-space.js";

export interface UploadedFile {
  path: string;
  /** The name the client gave, not yet sanitised. */
  clientName: string;
  size: number;
  /**
   * The file's first bytes (up to SCREEN_HEAD_BYTES), kept as they went to disk: the steps that
   * decide by a file's start take them from here instead of opening the file again.
   */
  head: Buffer;
}

/** The upload stopped sending for longer than allowed, or took longer than allowed in all. */
export class UploadStalled extends Error {
  override readonly name = "UploadStalled";
}

/**
 * How long an upload may pause, and take in all (UPLOAD_IDLE_SECONDS, UPLOAD_TIMEOUT_SECONDS), and
 * the most its body may weigh (a form whose file is within the size limit).
 */
export interface UploadBounds {
  idleMs: number;
  totalMs: number;
  maxBodyBytes: number;
}

export interface MultipartInput {
  file: UploadedFile | null;
  fields: Record<string, string>;
}

/** The file part passed the size limit (@fastify/multipart's `fileSize`). */
export class UploadTooLarge extends Error {
  override readonly name = "UploadTooLarge";
}

/**
 * Streams a multipart form to disk: the part `file` into a generated temp path, every other part
 * as a text field. The size limit is enforced by @fastify/multipart while bytes flow: the upload
 * fails the moment its file passes it (the form parser would otherwise read the rest of the body,
 * discarding it, and fail only at its end).
 * On any failure the temp file is removed before the error goes up (the error handler maps
 * @fastify/multipart's codes to the contract's sentences).
 */
export async function readMultipart(request: FastifyRequest, temp: TempSpace, bounds: UploadBounds): Promise<MultipartInput> {
  checkBoundary(request.headers["content-type"]);
  const fields: Record<string, string> = {};
  let file: UploadedFile | null = null;
  const unwatch = watchBody(request, bounds);
  try {
    for await (const part of request.parts()) {
      if (part.type === "field") {
        if (typeof part.value !== "string") throw badRequest(`field "${part.fieldname}" must be text`);
        fields[part.fieldname] = part.value;
        continue;
      }
      if (part.fieldname !== "file") {
        part.file.resume();
        throw badRequest('the file must be sent in the form field "file"');
      }
      if (file != null) throw badRequest("only one file can be sent per request");
      const dest = temp.newPath();
      file = { path: dest, clientName: part.filename, size: 0, head: Buffer.alloc(0) };
      const counted = file;
      const head = Buffer.allocUnsafe(SCREEN_HEAD_BYTES);
      part.file.on("data", (chunk: Buffer) => {
        if (counted.size < head.length) chunk.copy(head, counted.size);
        counted.size += chunk.length;
      });
      part.file.once("limit", () => part.file.destroy(new UploadTooLarge("past the file size limit")));
      await pipeline(part.file, new GatheringFileWriter(dest, GATHER_BYTES));
      counted.head = head.subarray(0, Math.min(counted.size, head.length));
    }
    return { file, fields };
  } catch (err) {
    if (file != null) await temp.remove(file.path);
    throw err;
  } finally {
    unwatch();
  }
}

/**
 * Fails an upload that pauses longer than `idleMs` (no byte on its socket), lasts longer than
 * `totalMs`, or whose body passes `maxBodyBytes` (bytes before the first part or after the last,
 * which the form parser skips without end): the error goes to the form parser as the request's
 * own, which stops parsing, hands it to the part being written (the temp file then goes) or to the
 * wait for the next part, and leaves the socket open for the answer. A client trickling a byte now
 * and then would otherwise hold its connection and temp file until the server's request timeout.
 */
function watchBody(request: FastifyRequest, bounds: UploadBounds): () => void {
  const req = request.raw;
  let failed = false;
  const fail = (err: Error): void => {
    if (failed) return;
    failed = true;
    req.emit("error", err);
  };
  const onIdle = (): void => fail(new UploadStalled(`the upload stalled (no data for ${bounds.idleMs / 1000} seconds)`));
  // On the request, not its socket: Node destroys a socket whose timeout nobody but the socket hears.
  req.setTimeout(bounds.idleMs, onIdle);
  const total = setTimeout(() => fail(new UploadStalled(`the upload took longer than ${bounds.totalMs / 1000} seconds`)), bounds.totalMs);
  let received = 0;
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    if (received > bounds.maxBodyBytes) fail(new UploadTooLarge("past the most a form may weigh"));
  };
  req.on("data", onData);
  return () => {
    clearTimeout(total);
    req.off("timeout", onIdle);
    req.off("data", onData);
    req.socket.setTimeout(0);
  };
}

/**
 * RFC 2046 5.1.1: a boundary is 1 to 70 characters. The form parser throws plain errors for a
 * missing or oversized one, which would read as our own failure.
 */
function checkBoundary(contentType: string | undefined): void {
  const m = /;\s*boundary=(?:"([^"]*)"|([^;\s]*))/i.exec(contentType ?? "");
  const boundary = m?.[1] ?? m?.[2] ?? "";
  if (boundary.length < 1 || boundary.length > 70) throw badRequest("the multipart form has no valid boundary (1 to 70 characters)");
}

/** Upload bytes written to the temp file at once. */
const GATHER_BYTES = 1024 * 1024;
/** Chunks in one `writev` at most (IOV_MAX on Linux): a client sending tiny chunks still gets bounded writes. */
const GATHER_CHUNKS = 1024;

/**
 * Writes the upload's chunks (64 kB each, as they come off the socket) to a new file (`wx`, 0600)
 * in one `writev` per `max` bytes: each write is a round trip through libuv's thread pool, and a
 * megabyte in one costs one instead of sixteen. The chunks go to the kernel as they came: joining
 * them first was a copy of the whole upload into new buffers, which on the main thread counted
 * against V8's old-generation limit as external memory and brought full collections sooner.
 */
class GatheringFileWriter extends Writable {
  private fd: number | null = null;
  private parts: Buffer[] = [];
  private bytes = 0;

  constructor(
    private readonly path: string,
    private readonly max: number,
  ) {
    super();
  }

  override _construct(done: (err?: Error | null) => void): void {
    fs.open(this.path, "wx", 0o600, (err, fd) => {
      this.fd = fd;
      done(err);
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.parts.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes >= this.max || this.parts.length >= GATHER_CHUNKS) this.writeParts(done);
    else done();
  }

  override _final(done: (err?: Error | null) => void): void {
    this.writeParts((err) => {
      if (err != null) return done(err);
      const fd = this.fd!;
      this.fd = null;
      fs.close(fd, done);
    });
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    if (this.fd == null) return done(err);
    const fd = this.fd;
    this.fd = null;
    fs.close(fd, () => done(err));
  }

  /** Writes the gathered chunks, again from where a short write stopped. */
  private writeParts(done: (err?: Error | null) => void): void {
    if (this.bytes === 0) return done();
    fs.writev(this.fd!, this.parts, (err, written) => {
      if (err != null) return done(err);
      this.bytes -= written;
      while (written > 0) {
        const first = this.parts[0]!;
        if (written >= first.length) {
          this.parts.shift();
          written -= first.length;
        } else {
          this.parts[0] = first.subarray(written);
          written = 0;
        }
      }
      this.writeParts(done);
    });
  }
}
