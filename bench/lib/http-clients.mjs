// @ts-check
import { Pool } from "undici";
import { multipartBody } from "./multipart.mjs";

/** @typedef {import("./corpus.mjs").CorpusFile} CorpusFile */

/**
 * One keep-alive connection per worker to `origin`, and the upload body of `file` built once.
 * @param {string} origin @param {number} connections @param {Buffer} data @param {CorpusFile} file
 */
export function uploader(origin, connections, data, file) {
  const pool = new Pool(origin, { connections, pipelining: 1, bodyTimeout: 600_000, headersTimeout: 600_000 });
  const { body, contentType } = multipartBody(data, file.name, file.mime);
  /**
   * POSTs the file; resolves with the parsed JSON, rejects on a non-200 answer.
   * @param {string} urlPath @param {Record<string, string>} headers
   * @returns {Promise<any>}
   */
  async function post(urlPath, headers) {
    const r = await pool.request({ path: urlPath, method: "POST", headers: { ...headers, "content-type": contentType }, body });
    const text = await r.body.text();
    if (r.statusCode !== 200) throw new Error(`${r.statusCode}: ${text.slice(0, 200)}`);
    return JSON.parse(text);
  }
  /** GETs a path and drains the bytes; resolves with their count. @param {string} urlPath */
  async function download(urlPath) {
    const r = await pool.request({ path: urlPath, method: "GET" });
    let n = 0;
    for await (const chunk of r.body) n += chunk.length;
    if (r.statusCode !== 200) throw new Error(`download ${r.statusCode}`);
    return n;
  }
  return { post, download, close: () => pool.close() };
}
