import zlib from "node:zlib";
import { TooComplexError } from "../errors.js";

type Zopfli = typeof import("@gfx/zopfli");

let loading: Promise<Zopfli> | undefined;

/**
 * Zopfli, loaded and its WebAssembly compiled on the first Office 97-2003 cleaning of a process:
 * after that its compression runs within the call (its callback is called before the call
 * returns), so a synchronous cleaner can use it. Not a static import: Emscripten's glue, run on
 * load, adds process-wide listeners that rethrow any uncaught exception (Node then exits with code
 * 7) and abort on any unhandled rejection; they are taken off again as soon as the module has run,
 * so the service's own handling stays as it was. Loaded lazily also keeps its WebAssembly out of
 * every task process that never needs it (and out of the service's own process).
 */
function zopfli(): Promise<Zopfli> {
  loading ??= (async () => {
    const before = new Set([...process.listeners("uncaughtException"), ...process.listeners("unhandledRejection")]);
    const z = await import("@gfx/zopfli");
    for (const listener of process.listeners("uncaughtException")) if (!before.has(listener)) process.off("uncaughtException", listener);
    for (const listener of process.listeners("unhandledRejection")) if (!before.has(listener)) process.off("unhandledRejection", listener);
    await z.zlibAsync(Buffer.alloc(1), {});
    return z;
  })();
  return loading;
}

/** Zopfli costs ~10 ms of CPU a kilobyte: larger data is not tried with it. */
const ZOPFLI_MAX_BYTES = 256 * 1024;
const ZOPFLI_ITERATIONS = 15;
/** What one document may have Zopfli deflate in all (~10 s of CPU): more that zlib cannot fit makes it too complex. */
const ZOPFLI_DOCUMENT_BYTES = 1024 * 1024;

/** What a document's drawings and embedded objects may still have Zopfli deflate. */
export interface DeflateBudget {
  bytes: number;
  zopfli: Zopfli;
}

export async function deflateBudget(): Promise<DeflateBudget> {
  return { bytes: ZOPFLI_DOCUMENT_BYTES, zopfli: await zopfli() };
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
  budget.zopfli.zlib(data, { numiterations: ZOPFLI_ITERATIONS }, (err, out) => {
    if (err == null) tight = out;
  });
  if (tight == null || tight.length > room) return null;
  return Buffer.from(tight.buffer, tight.byteOffset, tight.length);
}
