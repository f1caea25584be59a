import type { FastifyInstance } from "fastify";
import { AppError } from "../../errors.js";
import type { Services } from "../../services.js";
import type { makeAuthHooks } from "../auth.js";
import { errorResponse, errorResponses, uuidParams } from "../schemas.js";
import { uuidParam } from "../uuid-param.js";

const keyQuery = { type: "object", properties: { key: { type: "string", description: "The API key (the X-API-Key header wins)." } }, additionalProperties: true } as const;
const deleted = { description: "Deleted: from now on the UUID answers 404 for everyone", type: "null" } as const;

/**
 * DELETE of an extraction result or a cleaned file by the key that created it. Any other key sees
 * the same 404 as for a UUID that never existed, so a UUID's existence leaks to nobody.
 */
export function deleteRoutes(app: FastifyInstance, services: Services, auth: ReturnType<typeof makeAuthHooks>): void {
  app.delete(
    "/api/v1/extract/:uuid",
    {
      onRequest: auth.requireKey,
      schema: {
        summary: "Delete a stored extraction (only the key that created it may)",
        tags: ["extract"],
        params: uuidParams,
        querystring: keyQuery,
        response: { 204: deleted, 401: errorResponses[401], 404: errorResponses[404], 500: errorResponses[500] },
      },
    },
    async (request, reply) => {
      const id = uuidParam((request.params as { uuid: string }).uuid);
      const found = id == null ? null : await services.extractions.find(id);
      if (id == null || found == null || found.apiKeyId !== request.apiKeyId) throw new AppError("extraction_not_found");
      await services.extractions.delete(id);
      return reply.code(204).send();
    },
  );

  app.delete(
    "/download-cleaned/:uuid",
    {
      onRequest: auth.requireKey,
      schema: {
        summary: "Delete a cleaned file now, bytes included (only the key that created it may)",
        tags: ["remove"],
        params: uuidParams,
        querystring: keyQuery,
        response: { 204: deleted, 401: errorResponses[401], 404: errorResponse, 500: errorResponses[500] },
      },
    },
    async (request, reply) => {
      const id = uuidParam((request.params as { uuid: string }).uuid);
      const found = id == null ? null : await services.cleanedFiles.findLive(id, new Date());
      if (id == null || found == null || found.apiKeyId !== request.apiKeyId) throw new AppError("download_not_found");
      // Bytes first: a record left without its blob is only a 404, a blob left without its record would never be swept.
      await services.blobs.delete(found.storageKey);
      await services.cleanedFiles.delete(id);
      return reply.code(204).send();
    },
  );
}
