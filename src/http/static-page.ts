import fs from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";

/**
 * The page built by `tsconfig.web.json` (plus its HTML, CSS and icon) into `dist/web`. Found from
 * the repository root, two levels up from both `src/http` and `dist/http`, so an app built from
 * the TypeScript sources (tests) serves the same page as the compiled one.
 */
const PAGE_ROOT = fileURLToPath(new URL("../../dist/web/", import.meta.url));

/**
 * Only this origin's own files, no inline script or style: the page handles people's files and
 * an API key, so an injected script must have nowhere to run from or send to.
 */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Serves the web page at `/` and its files, each under the page's Content-Security-Policy. */
export async function registerStaticPage(app: FastifyInstance, root = PAGE_ROOT): Promise<void> {
  if (!fs.existsSync(`${root}/index.html`)) {
    app.log.warn("the web page is not built (npm run build): GET / will answer 404");
    return;
  }
  // An encapsulated scope, so the page's CSP applies to the page's routes only.
  await app.register(async (page) => {
    page.addHook("onSend", async (_request, reply, payload) => {
      reply.header("Content-Security-Policy", PAGE_CSP);
      return payload;
    });
    // Only the files present at startup get a route: nothing else under `/` can be reached.
    await page.register(fastifyStatic, { root, wildcard: false, index: false, serveDotFiles: false });
    page.get(
      "/",
      {
        schema: {
          summary: "The web page: drop a file, see its metadata, download a cleaned copy",
          tags: ["page"],
          produces: ["text/html"],
          response: { 200: { description: "The page (HTML)", type: "string" } },
        },
      },
      (_request, reply) => reply.type("text/html; charset=utf-8").sendFile("index.html"),
    );
  });
}
