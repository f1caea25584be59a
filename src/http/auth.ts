import type { FastifyRequest } from "fastify";
import { AppError } from "../errors.js";
import type { KeyStore } from "../store/keys.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The id of the API key the request authenticated with, if any. */
    apiKeyId: string | null;
  }
}

/** The key as the client gave it: the `X-API-Key` header wins over `?key=`. */
function presentedKey(request: FastifyRequest): string | null {
  const header = request.headers["x-api-key"];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader != null && fromHeader !== "") return fromHeader;
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = query?.["key"];
  return typeof fromQuery === "string" && fromQuery !== "" ? fromQuery : null;
}

/** onRequest hooks: a key that must be there, or one that may be there but must be valid if so. */
export function makeAuthHooks(keys: KeyStore) {
  const check = async (request: FastifyRequest, required: boolean): Promise<void> => {
    const key = presentedKey(request);
    if (key == null) {
      if (required) throw new AppError("key_required");
      request.apiKeyId = null;
      return;
    }
    const id = await keys.verify(key);
    if (id == null) throw new AppError("key_invalid");
    request.apiKeyId = id;
  };
  return {
    requireKey: (request: FastifyRequest) => check(request, true),
    optionalKey: (request: FastifyRequest) => check(request, false),
  };
}
