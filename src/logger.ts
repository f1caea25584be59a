import querystring from "node:querystring";
import type { LoggerOptions } from "pino";

/**
 * Hides an API key given in a query string before a URL reaches a log line: masks the value of every query parameter whose name, once decoded as the query parser decodes
 * it, is `key`: `?%6bey=KEY` authenticates as well as `?key=KEY`.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const hash = url.indexOf("#", q);
  const end = hash < 0 ? url.length : hash;
  const pairs = url
    .slice(q + 1, end)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return querystring.unescape(name.replace(/\+/g, " ")).trim().toLowerCase() === "key" ? `${name}=[REDACTED]` : pair;
    });
  return `${url.slice(0, q + 1)}${pairs.join("&")}${url.slice(end)}`;
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
