import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Schema parts documented but not enforced by Fastify (see `sourceInput` in schemas.ts). */
    openapi?: Pick<FastifySchema, "body"> & { security?: ReadonlyArray<Record<string, readonly string[]>> };
  }
}

/**
 * The OpenAPI 3 document is generated from the route schemas, so it cannot drift from the code;
 * `/docs` serves Swagger UI from local files (nothing loaded from other hosts).
 */
export async function registerOpenApi(app: FastifyInstance, publicBaseUrl: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "exifapi",
        version: "1",
        description:
          "Read the metadata of any file, and get a copy with all of it removed. API keys go in the `X-API-Key` header or the `key` query parameter.",
      },
      servers: [{ url: publicBaseUrl }],
      components: {
        securitySchemes: {
          apiKeyHeader: { type: "apiKey", in: "header", name: "X-API-Key" },
          apiKeyQuery: { type: "apiKey", in: "query", name: "key" },
        },
      },
      tags: [
        { name: "extract", description: "Metadata extraction" },
        { name: "remove", description: "Metadata removal" },
        { name: "operations", description: "Health, readiness, metrics and this document" },
        { name: "page", description: "The web page for people" },
      ],
    },
    transform: ({ schema, url, route }) => {
      const documented = route.config?.openapi;
      return { schema: documented == null ? schema : { ...schema, ...documented }, url };
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  app.get("/api/v1/openapi.json", { schema: { summary: "This OpenAPI 3 document", tags: ["operations"] } }, async () => app.swagger());
}
