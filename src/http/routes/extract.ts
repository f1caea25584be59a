import type { FastifyInstance } from "fastify";
import { AppError } from "../../errors.js";
import type { Services } from "../../services.js";
import type { makeAuthHooks } from "../auth.js";
import type { makePipeline } from "../pipeline.js";
import { errorResponses, extractInput, extractResponse, sourceQuery, storedExtractionResponse, uuidParams } from "../schemas.js";
import { uuidParam } from "../uuid-param.js";

export function extractRoutes(app: FastifyInstance, services: Services, pipeline: ReturnType<typeof makePipeline>, auth: ReturnType<typeof makeAuthHooks>, rateLimit: object): void {
  app.post(
    "/api/v1/extract",
    {
      onRequest: auth.requireKey,
      config: { rateLimit, openapi: extractInput },
      schema: {
        summary: "Extract the metadata of an uploaded file or of a URL",
        tags: ["extract"],
        consumes: ["multipart/form-data", "application/json"],
        querystring: sourceQuery,
        response: { 200: extractResponse, ...errorResponses },
      },
    },
    (request, reply) => pipeline.extraction(request, reply),
  );

  app.get(
    "/api/v1/extract/:uuid",
    {
      onRequest: auth.optionalKey,
      schema: {
        summary: "Get a stored extraction by its UUID",
        tags: ["extract"],
        params: uuidParams,
        querystring: { type: "object", properties: { key: { type: "string" } }, additionalProperties: true },
        response: { 200: storedExtractionResponse, 401: errorResponses[401], 404: errorResponses[404], 500: errorResponses[500] },
      },
    },
    async (request) => {
      const { uuid } = request.params as { uuid: string };
      const id = uuidParam(uuid);
      const found = id == null ? null : await services.extractions.find(id);
      // With a key, another key's extraction is as invisible as one that does not exist.
      if (found == null || (request.apiKeyId != null && found.apiKeyId !== request.apiKeyId)) {
        throw new AppError("extraction_not_found");
      }
      return { ...found.result, filename: found.fileName, createdAt: found.createdAt };
    },
  );
}
