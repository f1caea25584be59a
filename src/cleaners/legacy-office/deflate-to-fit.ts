import zlib from "node:zlib";
import * as zopfli from "@gfx/zopfli";
import { TooComplexError } from "../errors.js";

/**
 * Zopfli's WebAssembly, compiled once: after that its compression runs within the call (its
 * callback is called before the call returns), so a synchronous cleaner can use it. Awaited by
 * `deflateBudget`, not at the module's top level: a top-level await makes the cleaning worker's
 * whole module graph asynchronous, piscina's require() of it then fails and falls back to
 * import(), and Node 20 aborted the whole service in that fallback (FATAL "IsGraphAsync must be
 * used on an instantiated module", piscina/dist/worker.js getHandler).
 */
const compiled = zopfli.zlibAsync(Buffer.alloc(1), {});
// Its failure counts where it is awaited; until then it is not an unhandled rejection.
compiled.catch(() => undefined);

/** Zopfli costs ~10 ms of CPU a kilobyte: larger data is not tried with it. */
const ZOPFLI_MAX_BYTES = 256 * 1024;
const ZOPFLI_ITERATIONS = 15;
/** What one document may have Zopfli deflate in all (~10 s of CPU): more that zlib cannot fit makes it too complex. */
const ZOPFLI_DOCUMENT_BYTES = 1024 * 1024;

/** What a document's drawings and embedded objects may still have Zopfli deflate. */
export interface DeflateBudget {
  bytes: number;
}

export async function deflateBudget(): Promise<DeflateBudget> {
  await compiled;
  return { bytes: ZOPFLI_DOCUMENT_BYTES };
}

/**
 * `data` deflated (a zlib stream) into `room` bytes at most, or null when it cannot be. zlib's
 * best level first; when that is larger than the room (Word deflates its pictures tighter than
 * zlib does, so a cleaned picture, a few bytes changed, can come out larger than the original's
 * stream: node-word-extractor's test06.doc, 10,586 bytes for 10,043), Zopfli, which deflates
 * ~5-9% tighter than zlib, for data up to ZOPFLI_MAX_BYTES, and ZOPFLI_DOCUMENT_BYTES in a
 * document (`budget`).
 */
export function deflateToFit(data: Buffer, room: number, budget: DeflateBudget): Buffer | null {
  const quick = zlib.deflateSync(data, { level: 9 });
  if (quick.length <= room) return quick;
  if (data.length > ZOPFLI_MAX_BYTES) return null;
  if (data.length > budget.bytes) throw new TooComplexError(`legacy-office: data to deflate again tightly past ${ZOPFLI_DOCUMENT_BYTES} bytes`);
  budget.bytes -= data.length;
  let tight: Uint8Array | undefined;
  zopfli.zlib(data, { numiterations: ZOPFLI_ITERATIONS }, (err, out) => {
    if (err == null) tight = out;
  });
  if (tight == null || tight.length > room) return null;
  return Buffer.from(tight.buffer, tight.byteOffset, tight.length);
}
