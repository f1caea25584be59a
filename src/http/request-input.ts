import type { FastifyRequest } from "fastify";
import { InvalidOptionError, parseKeepList, parseUnknownMembers } from "../cleaners/options.js";
import type { KeepOption, UnknownMembers } from "../cleaners/types.js";
import { badRequest } from "../errors.js";
import type { TempSpace } from "../intake/temp-space.js";
import { readMultipart, type UploadedFile, type UploadBounds } from "../intake/upload.js";

export type Source = { kind: "file"; file: UploadedFile } | { kind: "url"; url: string };

export interface RequestInput {
  source: Source;
  /** Options gathered from the query string, the JSON body and the form, later ones winning. */
  options: Record<string, string>;
}

/**
 * Gathers exactly one source (a file, or a URL from the query, JSON body or form) and the
 * options, from every place the contract allows. The uploaded file, if any, is already on disk.
 */
export async function readRequestInput(request: FastifyRequest, temp: TempSpace, bounds: UploadBounds): Promise<RequestInput> {
  const options: Record<string, string> = {};
  mergeStrings(options, request.query, "query string");

  let file: UploadedFile | null = null;
  if (request.isMultipart()) {
    const form = await readMultipart(request, temp, bounds);
    file = form.file;
    Object.assign(options, form.fields);
  } else if (request.body != null) {
    if (typeof request.body !== "object" || Array.isArray(request.body)) {
      throw badRequest("the JSON body must be an object");
    }
    mergeStrings(options, request.body, "body");
  }

  const url = options["url"];
  delete options["url"];
  const hasUrl = url != null && url !== "";
  if (file != null && hasUrl) {
    await temp.remove(file.path);
    throw badRequest("send either a file or a url, not both");
  }
  if (file != null) return { source: { kind: "file", file }, options };
  if (hasUrl) return { source: { kind: "url", url }, options };
  throw badRequest('a file (form field "file") or a url is required');
}

function mergeStrings(into: Record<string, string>, from: unknown, where: string): void {
  if (from == null || typeof from !== "object") return;
  for (const [k, v] of Object.entries(from)) {
    if (v == null) continue;
    if (typeof v === "string") into[k] = v;
    else if (typeof v === "boolean" || typeof v === "number") into[k] = String(v);
    else if (Array.isArray(v) && k === "keep" && v.every((x) => typeof x === "string")) into[k] = v.join(",");
    else throw badRequest(`"${k}" in the ${where} must be a single value`);
  }
}

export function parseBoolean(options: Record<string, string>, name: string): boolean {
  const v = options[name];
  if (v == null || v === "") return false;
  const lower = v.toLowerCase();
  if (lower === "true" || lower === "1" || lower === "yes") return true;
  if (lower === "false" || lower === "0" || lower === "no") return false;
  throw badRequest(`${name} must be true or false`);
}

export function parseKeep(options: Record<string, string>): Set<KeepOption> {
  return asBadRequest(() => parseKeepList(options["keep"]));
}

export function parseUnknownMembersOption(options: Record<string, string>): UnknownMembers {
  return asBadRequest(() => parseUnknownMembers(options["unknownMembers"]));
}

function asBadRequest<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof InvalidOptionError) throw badRequest(err.message);
    throw err;
  }
}
