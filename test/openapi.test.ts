import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../src/services.js";
import { ROOT } from "./helpers/server.js";

/**
 * The built service (as `make test` builds it before the suite), typed by its sources: its worker
 * pool keeps a thread ready, which loads `dist/isolation/worker.js`, a file the sources do not have.
 */
const { buildApp } = (await import(path.join(ROOT, "dist", "app.js"))) as typeof import("../src/app.js");
const { loadConfig } = (await import(path.join(ROOT, "dist", "config.js"))) as typeof import("../src/config.js");
const { createServices } = (await import(path.join(ROOT, "dist", "services.js"))) as typeof import("../src/services.js");

type Json = Record<string, any>;

let dir: string;
let services: Services;
let app: FastifyInstance;
let doc: Json;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "exifapi-openapi-"));
  const config = loadConfig({ DATA_DIR: dir, EXIFTOOL_PROCS: "1", LOG_LEVEL: "silent" });
  const log = pino({ level: "silent" });
  services = await createServices(config, log);
  app = await buildApp(services, log);
  await app.ready();
  doc = (await app.inject({ method: "GET", url: "/api/v1/openapi.json" })).json<Json>();
});

afterAll(async () => {
  await app?.close();
  await services?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

/**
 * Every (method, path) Fastify routes, read back from `printRoutes`' tree: each line is a path
 * segment appended to its parent's, indented four characters per level.
 */
function knownRoutes(tree: string): Array<{ method: string; url: string }> {
  const routes: Array<{ method: string; url: string }> = [];
  const stack: string[] = [];
  for (const line of tree.split("\n")) {
    const m = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (m == null) continue;
    const depth = (m[1] ?? "").length / 4;
    const url = (stack[depth - 1] ?? "") + (m[2] ?? "");
    stack.length = depth;
    stack.push(url);
    for (const method of (m[3] ?? "").split(", ").filter((x) => x !== "")) routes.push({ method, url });
  }
  return routes;
}

describe("the OpenAPI document", () => {
  it("is a valid OpenAPI 3 document", async () => {
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(String(doc["openapi"])).toMatch(/^3\./);
  });

  it("documents every route of the service", async () => {
    const pageFiles = new Set(await fs.readdir(path.join(ROOT, "dist", "web")));
    // Not API operations: the page's own files and Swagger UI's pages (the page itself, `/`, is documented).
    const undocumented = (url: string): boolean => url.startsWith("/docs") || pageFiles.has(url.slice(1));
    const routes = knownRoutes(app.printRoutes({ commonPrefix: false }))
      // HEAD mirrors GET; OPTIONS is CORS preflight.
      .filter((r) => r.method !== "HEAD" && r.method !== "OPTIONS")
      .filter((r) => !undocumented(r.url));
    const paths = doc["paths"] as Json;
    const missing = routes.filter((r) => paths[r.url.replace(/:(\w+)/g, "{$1}")]?.[r.method.toLowerCase()] == null);
    expect(missing).toEqual([]);
    // The parse found what the service serves (guards the test against a silent parsing failure).
    expect(routes.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining([
        "GET /", "POST /api/v1/extract", "GET /api/v1/extract/:uuid", "POST /api/v1/remove", "GET /download-cleaned/:uuid",
        "DELETE /api/v1/extract/:uuid", "DELETE /download-cleaned/:uuid",
        "GET /healthz", "GET /readyz", "GET /metrics", "GET /api/v1/openapi.json",
      ]),
    );
    expect(routes.length).toBeGreaterThanOrEqual(9);
  });

  it("carries the contract's inputs and examples", () => {
    for (const route of ["/api/v1/extract", "/api/v1/remove"]) {
      const post = doc["paths"][route]["post"];
      const body = post["requestBody"]["content"];
      expect(body["multipart/form-data"]["schema"]["properties"]["file"]).toMatchObject({ type: "string", format: "binary" });
      expect(body["application/json"]["schema"]["required"]).toEqual(["url"]);
      expect(body["application/json"]["example"]).toEqual({ url: "https://example.com/image.jpg" });
      expect(post["security"]).toEqual([{ apiKeyHeader: [] }, { apiKeyQuery: [] }]);
      expect(post["responses"]["401"]["content"]["application/json"]["schema"]["properties"]["error"]["example"]).toBe("API key required");
      expect(post["responses"]["429"]["content"]["application/json"]["schema"]["properties"]["error"]["example"]).toBe("Too many requests");
    }
    const extract = doc["paths"]["/api/v1/extract"]["post"]["responses"]["200"]["content"]["application/json"]["example"];
    expect(extract).toMatchObject({ success: true, status: "completed", fileName: "image.jpg" });
    expect(extract["metadata"]["iptc"]).toEqual({ "By-line": "John Doe", CopyrightNotice: "© 2024" });
    const remove = doc["paths"]["/api/v1/remove"]["post"]["responses"]["200"]["content"]["application/json"]["example"];
    expect(remove).toMatchObject({ removed: { exif: 41, iptc: 4, xmp: 12 }, remaining: {} });
    expect(doc["paths"]["/api/v1/remove"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]).toHaveProperty("keep");
    const stored = doc["paths"]["/api/v1/extract/{uuid}"]["get"]["responses"];
    expect(stored["404"]["content"]["application/json"]["schema"]["properties"]["error"]["example"]).toBe("No extraction found with the given UUID.");
  });

  it("is browsable at /docs from this host alone", async () => {
    const page = await app.inject({ method: "GET", url: "/docs" });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    const init = await app.inject({ method: "GET", url: "/docs/static/swagger-initializer.js" });
    expect(init.body).toContain("validatorUrl: null");
    expect((await app.inject({ method: "GET", url: "/docs/static/swagger-ui-bundle.js" })).statusCode).toBe(200);
  });
});
