import type { FastifyReply } from "fastify";

/** The request ran past REQUEST_TIMEOUT_SECONDS. */
export class DeadlineExceeded extends Error {
  override readonly name = "DeadlineExceeded";
}

/** The client closed the connection before its answer was sent. */
export class ClientGone extends Error {
  override readonly name = "ClientGone";
}

export interface RequestDeadline {
  /** Fires at the deadline or when the client hangs up; everything the request starts takes it. */
  signal: AbortSignal;
  /**
   * Starts the clock. The upload has bounds of its own (the size limit, the server's request
   * timeout; a URL its fetch timeout), so the deadline counts the work on the file.
   */
  startClock(): void;
  /** Stops watching (the answer is on its way). */
  end(): void;
}

/** One AbortSignal per request (STYLE.md habit 18): a deadline and a client hang-up cancel all its work. */
export function watchRequest(reply: FastifyReply, timeoutMs: number): RequestDeadline {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onClose = (): void => {
    if (!reply.raw.writableFinished) controller.abort(new ClientGone("the client hung up"));
  };
  reply.raw.on("close", onClose);
  return {
    signal: controller.signal,
    startClock() {
      timer ??= setTimeout(() => controller.abort(new DeadlineExceeded(`past ${timeoutMs} ms`)), timeoutMs);
    },
    end() {
      clearTimeout(timer);
      reply.raw.off("close", onClose);
    },
  };
}
