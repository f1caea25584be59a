import type { LoggerOptions } from "pino";

/** Hides an API key given in a query string (`?key=...`) before a URL reaches a log line. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]key=)[^&#]*/gi, "$1[REDACTED]");
}

/** JSON lines on stdout; keys never reach them (header redacted, `key=` masked in URLs). */
export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: ['req.headers["x-api-key"]', "req.headers.authorization", "req.headers.cookie"], censor: "[REDACTED]" },
    serializers: {
      req(req: { method: string; url: string; ip?: string; headers?: Record<string, unknown> }) {
        return { method: req.method, url: redactUrl(req.url), remoteAddress: req.ip, headers: req.headers };
      },
    },
  };
}
