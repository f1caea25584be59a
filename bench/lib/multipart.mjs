// @ts-check
import crypto from "node:crypto";

/**
 * A multipart/form-data body with the file in field `file`, built once and sent many times, so
 * that the load generator spends nothing per request on encoding.
 * @param {Buffer} data @param {string} name @param {string} mime
 * @returns {{ body: Buffer, contentType: string }}
 */
export function multipartBody(data, name, mime) {
  const boundary = `----bench${crypto.randomBytes(12).toString("hex")}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${mime}\r\n\r\n`,
    "utf8",
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, "utf8");
  return { body: Buffer.concat([head, data, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * The same framing as a stream generator, for files too big to hold in memory (the 1 GB case).
 * @param {AsyncIterable<Buffer>} data @param {string} name @param {string} mime
 */
export function multipartStream(data, name, mime) {
  const boundary = `----bench${crypto.randomBytes(12).toString("hex")}`;
  async function* body() {
    yield Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${mime}\r\n\r\n`, "utf8");
    yield* data;
    yield Buffer.from(`\r\n--${boundary}--\r\n`, "utf8");
  }
  return { body: body(), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * The file part of a body built like ours: the naive wrapper's whole parser. It is enough
 * because it only ever receives these bodies.
 * @param {Buffer} body @param {string} contentType
 * @returns {Buffer}
 */
export function fileFromMultipart(body, contentType) {
  const m = /boundary=(.+)$/.exec(contentType);
  if (m == null) throw new Error("no boundary");
  const start = body.indexOf("\r\n\r\n") + 4;
  const end = body.lastIndexOf(Buffer.from(`\r\n--${m[1]}--`, "latin1"));
  if (start < 4 || end < start) throw new Error("not a form we sent");
  return body.subarray(start, end);
}
