import dns from "node:dns";
import fsp from "node:fs/promises";
import type net from "node:net";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Agent, type Dispatcher, request } from "undici";
import { AppError } from "../errors.js";
import { nonPublicReason } from "./address-policy.js";
import { FetchTimeoutError, NOT_PUBLIC, TooLargeError, fetchFailureReason, tooLargeReason } from "./fetch-failure.js";
import { parseFetchableUrl } from "./fetchable-url.js";
import { type AddressCheck, guardedConnector } from "./guarded-connect.js";
import { remoteFileName } from "./remote-file-name.js";

/** Redirects followed before giving up (shared/API.md, "URLs fetched by the service"). */
export const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Connect timeout when none is given (capped by the total timeout). */
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/**
 * A body thrown away (redirect, error page, announced too big) is read up to this many bytes so
 * the connection can be reused; one announced or found longer closes the connection instead.
 */
const DISCARD_LIMIT = 128 * 1024;

/** The part of a pino logger the fetcher uses. */
export interface FetchLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * Seams for tests only. Nothing in the configuration reaches them: the service passes
 * `allowPrivate` (ALLOW_PRIVATE_URLS) and nothing else.
 */
export interface UrlFetcherTestSeams {
  /** Resolves host names instead of `dns.lookup` (e.g. `evil.test` -> 127.0.0.1). */
  lookup?: net.LookupFunction;
  /** Exact addresses treated as public, so one loopback server can stand for a public one. */
  allowAddresses?: readonly string[];
}

export interface UrlFetcherOptions {
  /** ALLOW_PRIVATE_URLS: every address may be connected to. For tests; never in production. */
  allowPrivate: boolean;
  /** Largest body accepted, in bytes (MAX_FILE_MB). */
  maxBytes: number;
  /** Total time for one fetch, redirects and body included, in milliseconds. */
  timeoutMs: number;
  /** Time allowed to resolve and connect, per connection, in milliseconds. */
  connectTimeoutMs?: number;
  logger?: FetchLogger;
  testing?: UrlFetcherTestSeams;
}

export interface FetchedFile {
  /** Sanitised: from Content-Disposition, else the client's URL path, else "download". */
  fileName: string;
  /** Bytes written to `dest`. */
  size: number;
  /** The final response's Content-Type as sent, a hint only (the type comes from the bytes). */
  contentType: string | null;
}

export interface UrlFetcher {
  /**
   * Downloads `rawUrl` (as the client gave it) into `dest`, a fresh path that must not exist.
   * Throws AppError "bad_request" for a URL that cannot be fetched by its form, "fetch_failed"
   * for anything the remote side did wrong; `dest` is removed on every failure.
   */
  /** `signal` is the request's: its deadline or hang-up stops the fetch and rejects with its reason. */
  fetchToFile(rawUrl: string, dest: string, signal?: AbortSignal): Promise<FetchedFile>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

export function createUrlFetcher(opts: UrlFetcherOptions): UrlFetcher {
  const allowed = new Set(opts.testing?.allowAddresses ?? []);
  const check: AddressCheck = (address) =>
    opts.allowPrivate || allowed.has(address) ? null : nonPublicReason(address);
  const agent = new Agent({
    connect: guardedConnector({
      check,
      timeoutMs: Math.min(opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, opts.timeoutMs),
      lookup: opts.testing?.lookup ?? dns.lookup,
    }),
  });

  async function fetchToFile(rawUrl: string, dest: string, signal?: AbortSignal): Promise<FetchedFile> {
    const parsed = parseFetchableUrl(rawUrl);
    if (!parsed.ok) throw new AppError("bad_request", parsed.reason);
    const clientUrl = parsed.url;
    // Opened before anything else, not by the pipeline: a pipeline that fails early settles before
    // its file stream has opened, and the file would appear after the clean-up. Not caught: when
    // `dest` cannot be created (it exists), it is not ours to remove.
    const out = (await fsp.open(dest, "wx", 0o600)).createWriteStream();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new FetchTimeoutError()), opts.timeoutMs);
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      signal?.throwIfAborted();
      const response = await followRedirects(clientUrl, controller.signal);
      const length = Number(header(response, "content-length") ?? Number.NaN);
      if (length > opts.maxBytes) {
        await response.body.dump({ signal: controller.signal, limit: DISCARD_LIMIT });
        throw new AppError("fetch_failed", tooLargeReason(opts.maxBytes));
      }
      const counter = byteLimit(opts.maxBytes);
      await pipeline(response.body, counter, out, { signal: controller.signal });
      return {
        fileName: remoteFileName(header(response, "content-disposition"), clientUrl),
        size: counter.bytes,
        contentType: header(response, "content-type"),
      };
    } catch (err) {
      out.destroy();
      await fsp.rm(dest, { force: true });
      if (signal?.aborted === true) throw signal.reason;
      throw toAppError(controller.signal.aborted ? controller.signal.reason : err, clientUrl);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /** One request per hop; each hop's URL is re-checked here and its address at connect time. */
  async function followRedirects(start: URL, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    let url = start;
    for (let redirects = 0; ; redirects++) {
      const response = await request(url, {
        dispatcher: agent,
        method: "GET",
        signal,
        // identity: the file is wanted as the server stores it, not compressed for the transfer.
        headers: { accept: "*/*", "accept-encoding": "identity", "user-agent": "exifapi" },
      });
      if (response.statusCode >= 200 && response.statusCode < 300) return response;
      await response.body.dump({ signal, limit: DISCARD_LIMIT });
      const location = header(response, "location");
      if (!REDIRECT_STATUSES.has(response.statusCode) || location == null) {
        throw new AppError("fetch_failed", `the server answered ${response.statusCode}`);
      }
      if (redirects === MAX_REDIRECTS) throw new AppError("fetch_failed", "too many redirects");
      const next = parseFetchableUrl(location, url);
      if (!next.ok) throw new AppError("fetch_failed", `the server redirected to a URL that cannot be fetched (${next.reason})`);
      url = next.url;
    }
  }

  function toAppError(err: unknown, url: URL): unknown {
    if (err instanceof AppError) return err;
    const reason = fetchFailureReason(err, opts.maxBytes);
    if (reason == null) return err;
    // The host only: a client's URL may carry a token in its query.
    const detail = { host: url.host, reason, err };
    if (reason === NOT_PUBLIC) opts.logger?.warn(detail, "refused to fetch a URL on a non-public address");
    else opts.logger?.info(detail, "could not fetch a URL");
    return new AppError("fetch_failed", reason, err);
  }

  return { fetchToFile, close: () => agent.close() };
}

function header(response: Dispatcher.ResponseData, name: string): string | null {
  const value = response.headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/** A pass-through that counts bytes and fails once more than `max` went by. */
function byteLimit(max: number): Transform & { bytes: number } {
  const counter = Object.assign(
    new Transform({
      transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
        counter.bytes += chunk.length;
        if (counter.bytes > max) done(new TooLargeError());
        else done(null, chunk);
      },
    }),
    { bytes: 0 },
  );
  return counter;
}
