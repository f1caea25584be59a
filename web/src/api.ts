import { type Finding, parseFindings } from "./findings.js";

/** The two API calls the page makes, with the contract's response shapes (shared/API.md). */

export type TagValue = string | number | boolean | null | TagValue[] | { [k: string]: TagValue };
export type Groups = Record<string, Record<string, TagValue>>;

export interface Extraction {
  uuid: string;
  fileName: string;
  metadata: Groups;
  warnings: string[];
  /** What the file gives away, most serious first, as the API found it. */
  findings: Finding[];
}

export interface Removal {
  fileName: string;
  downloadUrl: string;
  expiresAt: string;
  removed: Record<string, number>;
  remaining: Groups;
}

/** What the person gave: a file from their disk or the address of one. */
export type Source = { kind: "file"; file: File } | { kind: "url"; url: string };

/** A failure to show as is: the API's own sentence, or the page's when there was no answer. */
export class ApiError extends Error {}

/** Thrown when the service could not be reached or did not answer JSON; the page words it. */
export class TransportError extends Error {
  constructor(readonly reason: "unreachable" | "unexpected") {
    super(reason);
  }
}

async function post(path: string, source: Source, key: string, options: Record<string, string> = {}): Promise<unknown> {
  // The key travels in a header only: addresses end up in histories and logs.
  const headers: Record<string, string> = { "X-API-Key": key };
  let body: BodyInit;
  if (source.kind === "file") {
    const form = new FormData();
    for (const [name, value] of Object.entries(options)) form.append(name, value);
    form.append("file", source.file, source.file.name);
    body = form;
  } else {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify({ url: source.url, ...options });
  }
  let response: Response;
  try {
    response = await fetch(path, { method: "POST", headers, body });
  } catch {
    throw new TransportError("unreachable");
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    throw new TransportError("unexpected");
  }
  if (!isObject(json)) throw new TransportError("unexpected");
  if (json["success"] !== true) {
    const error = json["error"];
    if (typeof error === "string") throw new ApiError(error);
    throw new TransportError("unexpected");
  }
  return json;
}

export async function extract(source: Source, key: string): Promise<Extraction> {
  const json = await post("/api/v1/extract", source, key);
  if (!isObject(json) || typeof json["uuid"] !== "string" || typeof json["fileName"] !== "string" || !isObject(json["metadata"])) {
    throw new TransportError("unexpected");
  }
  return {
    uuid: json["uuid"],
    fileName: json["fileName"],
    metadata: json["metadata"] as Groups,
    warnings: Array.isArray(json["warnings"]) ? json["warnings"].filter((w): w is string => typeof w === "string") : [],
    findings: parseFindings(json["findings"]),
  };
}

/** What a person may ask the removal to keep (the contract's `keep`). */
export const KEEP_CHOICES = ["orientation", "colorProfile", "copyright", "comments", "trackedChanges"] as const;
export type KeepChoice = (typeof KEEP_CHOICES)[number];

export async function remove(source: Source, key: string, keep: readonly KeepChoice[] = []): Promise<Removal> {
  const json = await post("/api/v1/remove", source, key, keep.length > 0 ? { keep: keep.join(",") } : {});
  if (!isObject(json) || typeof json["downloadUrl"] !== "string" || typeof json["expiresAt"] !== "string") {
    throw new TransportError("unexpected");
  }
  return {
    fileName: typeof json["fileName"] === "string" ? json["fileName"] : "",
    downloadUrl: json["downloadUrl"],
    expiresAt: json["expiresAt"],
    removed: isObject(json["removed"]) ? (json["removed"] as Record<string, number>) : {},
    remaining: isObject(json["remaining"]) ? (json["remaining"] as Groups) : {},
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
