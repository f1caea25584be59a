import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { FastifyReply, FastifyRequest } from "fastify";
import { AppError } from "../errors.js";

/** What @fastify/multipart lets a form hold besides its file (app.ts registers it with these). */
export const FORM_LIMITS = { files: 1, fields: 20, fieldSize: 16 * 1024, parts: 25, headerPairs: 50 } as const;

/** busboy's limit on one part's headers. */
const PART_HEADER_BYTES = 16 * 1024;

/**
 * The most a form whose file is within the size limit can weigh: the file, every field at its
 * largest, every part's headers at theirs, and room for boundaries. A body declared larger cannot
 * carry an acceptable file, and the most of any body the service reads.
 */
export function maxRequestBodyBytes(maxFileBytes: number): number {
  return maxFileBytes + FORM_LIMITS.fields * FORM_LIMITS.fieldSize + FORM_LIMITS.parts * PART_HEADER_BYTES + 64 * 1024;
}

/** The request's Content-Length, or null when it has none (a chunked body) or a malformed one. */
function declaredLength(req: IncomingMessage): number | null {
  const value = req.headers["content-length"];
  return value != null && /^\d+$/.test(value) ? Number(value) : null;
}

const declaresTooMuch = (req: IncomingMessage, maxBodyBytes: number): boolean => (declaredLength(req) ?? 0) > maxBodyBytes;

/**
 * onRequest: a body declared larger than any acceptable form gets the contract's 413 before a byte
 * of it is read (the error handler then closes the connection instead of reading it to its end).
 */
export function refuseDeclaredTooLarge(maxBodyBytes: number, maxMb: number) {
  return async (request: FastifyRequest): Promise<void> => {
    if (declaresTooMuch(request.raw, maxBodyBytes)) throw new AppError("file_too_large", String(maxMb));
  };
}

/**
 * A client that asks before sending (`Expect: 100-continue`, as curl does for bodies over 1 MB) is
 * told to go on only when its declared size can be accepted: otherwise the 413 comes without the
 * "100 Continue" and the body is never sent. Node answers "100 Continue" at once when nobody listens.
 */
export function continueOnlyWithinBound(server: Server, maxBodyBytes: number): void {
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    if (!declaresTooMuch(req, maxBodyBytes)) res.writeContinue();
    server.emit("request", req, res);
  });
}

/**
 * For an answer given before the request's body ended. A body that may still bring more than any
 * form can weigh (declared so, or refused for its size), or whose client stalled, is not read further: `Connection: close`
 * has Node close the socket once the answer is out, and the client stops sending. Otherwise the
 * rest flows, discarded: many clients only read the answer once they have sent everything, and
 * closing would cut them off with EPIPE before they read it. A body of unknown length (chunked) is
 * still cut off once it passes the bound.
 */
export function endUnreadBody(request: FastifyRequest, reply: FastifyReply, maxBodyBytes: number, readNoMore: boolean): void {
  const req = request.raw;
  if (readNoMore || declaresTooMuch(req, maxBodyBytes)) {
    reply.header("Connection", "close");
    closeLingering(req);
    return;
  }
  const socket = req.socket;
  const start = bodyStart.get(req) ?? socket.bytesRead;
  req.on("data", () => {
    if (socket.bytesRead - start > maxBodyBytes) socket.destroy();
  });
  req.resume();
}

/** Where each request's bytes began on its socket (a kept-alive socket carries several). */
const bodyStart = new WeakMap<IncomingMessage, number>();

/** onRequest: notes where the request began on its socket, for endUnreadBody's count. */
export async function markBodyStart(request: FastifyRequest): Promise<void> {
  bodyStart.set(request.raw, request.raw.socket.bytesRead);
}

/**
 * How long, and how much more of the body, a closing connection is read once its answer is out:
 * enough for what a client had in flight when the answer came (its socket's send buffer, up to
 * 4 MB on Linux), little against what one that goes on sending would send.
 */
const LINGER_MS = 2000;
const LINGER_BYTES = 8 * 1024 * 1024;

/**
 * Closes the connection of an answer given mid-body the way nginx's lingering_close does, which
 * Node has no setting for. Node's `destroySoon` destroys the socket as soon as the answer is out;
 * closing a socket with unread bytes of the body makes the kernel send a reset, and the reset wipes
 * the answer from the receive buffer of a client still sending, before it reads it (it then sees
 * no answer at all). Here the answer is followed by a FIN while the body is read and discarded,
 * and the socket is destroyed once the client closed its side too (nothing left unread, no reset),
 * or after LINGER_MS; past LINGER_BYTES it is no longer read meanwhile.
 */
function closeLingering(req: IncomingMessage): void {
  const socket = req.socket;
  const start = socket.bytesRead;
  req.on("data", () => {
    // Reading stops; the connection still closes after LINGER_MS. Destroying it now would reset it
    // while the client may not have read its answer yet: bytes it had in flight, and those the
    // service's receive buffer held unread when it answered (up to 32 MB on Linux), can pass
    // LINGER_BYTES before a client on a busy machine reads what came back.
    if (socket.bytesRead - start > LINGER_BYTES) {
      req.pause();
      socket.pause();
    }
  });
  req.resume();
  socket.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.once("close", () => clearTimeout(timer));
  };
}
