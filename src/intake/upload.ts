import fs from "node:fs";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { FastifyRequest } from "fastify";
import { badRequest } from "../errors.js";
import type { TempSpace } from "./temp-space.js";

export interface UploadedFile {
  path: string;
  /** The name the client gave, not yet sanitised. */
  clientName: string;
  size: number;
}

export interface MultipartInput {
  file: UploadedFile | null;
  fields: Record<string, string>;
}

/**
 * Streams a multipart form to disk: the part `file` into a generated temp path (the size limit is
 * enforced by @fastify/multipart while bytes flow), every other part as a text field.
 * On any failure the temp file is removed before the error goes up (the error handler maps
 * @fastify/multipart's codes to the contract's sentences).
 */
export async function readMultipart(request: FastifyRequest, temp: TempSpace): Promise<MultipartInput> {
  checkBoundary(request.headers["content-type"]);
  const fields: Record<string, string> = {};
  let file: UploadedFile | null = null;
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
      file = { path: dest, clientName: part.filename, size: 0 };
      const counted = file;
      part.file.on("data", (chunk: Buffer) => {
        counted.size += chunk.length;
      });
      await pipeline(part.file, new Gather(GATHER_BYTES), fs.createWriteStream(dest, { flags: "wx", mode: 0o600 }));
    }
    return { file, fields };
  } catch (err) {
    if (file != null) await temp.remove(file.path);
    throw err;
  }
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

/**
 * Gathers the upload's chunks (64 kB each, as they come off the socket) into writes of up to
 * `max` bytes: each write is a round trip through libuv's thread pool, and a megabyte in one costs
 * one instead of sixteen (the copy that joins them is cheaper than the fifteen hand-offs).
 */
class Gather extends Transform {
  private parts: Buffer[] = [];
  private bytes = 0;

  constructor(private readonly max: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.parts.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes >= this.max) this.pushGathered();
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.bytes > 0) this.pushGathered();
    done();
  }

  private pushGathered(): void {
    this.push(this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.bytes));
    this.parts = [];
    this.bytes = 0;
  }
}
