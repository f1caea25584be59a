import { FINDING_KINDS, SEVERITIES } from "../metadata/findings/types.js";

/**
 * JSON schemas of the routes: they validate input, shape output and feed the OpenAPI document.
 * Metadata is open-ended (ExifTool knows ~30,000 tags), so its groups are free-form objects.
 */
/** `{success: false, error}`: the status's description and one of its sentences as the example. */
function failure(description: string, example: string) {
  return {
    type: "object",
    description,
    required: ["success", "error"],
    properties: {
      success: { type: "boolean", const: false },
      error: { type: "string", examples: [example] },
    },
  } as const;
}

export const errorResponse = failure("Unknown or expired download", "File not found or expired.");

const uuid = { type: "string", format: "uuid", examples: ["123e4567-e89b-42d3-a456-426614174000"] } as const;

const metadata = {
  type: "object",
  description: "`File` (Name, Size, Type and ExifTool's File group) and one lower-case ExifTool family-0 group per key.",
  additionalProperties: { type: "object", additionalProperties: true },
  examples: [
    {
      File: { Name: "image.jpg", Size: 123456, Type: "image/jpeg", FileType: "JPEG" },
      exif: { Make: "Canon", Model: "EOS R5", DateTimeOriginal: "2024:03:15 10:30:00", ExposureTime: "1/1000", FNumber: "2.8", ISO: "100" },
      iptc: { "By-line": "John Doe", CopyrightNotice: "© 2024" },
    },
  ],
} as const;

const findingExample = {
  kind: "location",
  severity: "high",
  title: "The file gives the GPS position where it was made.",
  tags: ["exif:GPSLatitude", "exif:GPSLongitude", "composite:GPSPosition"],
  value: "48.858400, 2.294500",
};

const findings = {
  type: "array",
  description:
    "What the file gives away, most serious first. `kind`: location, people, device, time, software, identifiers, previews, ai, provenance, hidden or embedded; " +
    "`title`: one English sentence (translate by kind); `tags`: the `group:Tag` names it comes from (empty when found outside the tags, e.g. review comments or bytes after an image's end); " +
    "`value`: what says it all when one value does (a position in decimal degrees, a name). " +
    "A finding about a file inside the file starts its title with that file's name (`word/media/image1.jpeg: The file ...`), " +
    "or, when several inner files give away the same (same value), with how many and which (`64 files inside (picture 1–64): The file ...`).",
  items: {
    type: "object",
    required: ["kind", "severity", "title", "tags"],
    properties: {
      kind: { type: "string", enum: [...FINDING_KINDS] },
      severity: { type: "string", enum: [...SEVERITIES] },
      title: { type: "string" },
      tags: { type: "array", items: { type: "string" } },
      value: { type: "string" },
    },
  },
  examples: [[findingExample]],
} as const;

const extractionProperties = {
  success: { type: "boolean", const: true },
  status: { type: "string", const: "completed" },
  uuid,
  fileName: { type: "string", examples: ["image.jpg"] },
  metadata,
  warnings: { type: "array", items: { type: "string" } },
  findings,
} as const;

const extractExample = {
  success: true,
  status: "completed",
  uuid: "123e4567-e89b-42d3-a456-426614174000",
  fileName: "image.jpg",
  metadata: metadata.examples[0],
  warnings: [],
  findings: [findingExample],
};

export const extractResponse = {
  type: "object",
  description: "The file's metadata, stored under `uuid`",
  examples: [extractExample],
  required: ["success", "status", "uuid", "fileName", "metadata", "warnings", "findings"],
  properties: extractionProperties,
} as const;

export const storedExtractionResponse = {
  type: "object",
  description: "A stored extraction: the extract response plus `createdAt` and `filename`",
  examples: [{ ...extractExample, filename: "image.jpg", createdAt: "2026-11-22T10:30:00.000Z" }],
  required: ["success", "status", "uuid", "fileName", "filename", "metadata", "warnings", "createdAt"],
  properties: {
    ...extractionProperties,
    filename: { type: "string", description: "Same as fileName, for clients written against the seed page." },
    createdAt: { type: "string", format: "date-time" },
  },
} as const;

const tagCounts = { type: "object", additionalProperties: { type: "integer" }, examples: [{ exif: 41, iptc: 4, xmp: 12 }] } as const;

export const removeResponse = {
  type: "object",
  description: "The cleaned copy's download link, what was removed per group and what remains",
  examples: [
    {
      success: true,
      status: "completed",
      uuid: "123e4567-e89b-42d3-a456-426614174000",
      fileName: "image.jpg",
      downloadUrl: "https://exifapi.example.com/download-cleaned/123e4567-e89b-42d3-a456-426614174000",
      expiresAt: "2026-11-23T10:30:00.000Z",
      removed: { exif: 41, iptc: 4, xmp: 12 },
      remaining: {},
      findings: [findingExample],
    },
  ],
  required: ["success", "status", "uuid", "fileName", "downloadUrl", "expiresAt", "removed", "remaining", "findings"],
  properties: {
    success: { type: "boolean", const: true },
    status: { type: "string", const: "completed" },
    uuid,
    fileName: { type: "string" },
    downloadUrl: { type: "string", format: "uri" },
    expiresAt: { type: "string", format: "date-time" },
    removed: tagCounts,
    remaining: { type: "object", additionalProperties: { type: "object", additionalProperties: true } },
    findings,
  },
} as const;

export const sourceQuery = {
  type: "object",
  properties: {
    url: { type: "string", description: "A URL to fetch instead of uploading a file." },
    key: { type: "string", description: "The API key (the X-API-Key header wins)." },
    numeric: { type: "string", description: "`true`: raw values as ExifTool's -n gives them (extract only)." },
    keep: { type: "string", description: "Comma-separated: orientation, colorProfile, copyright, comments, trackedChanges (remove only)." },
    unknownMembers: { type: "string", description: "Archives (remove only): refuse (default), omit or keep the members no cleaner handles." },
  },
  additionalProperties: true,
} as const;

export const uuidParams = {
  type: "object",
  required: ["uuid"],
  properties: { uuid: { type: "string" } },
} as const;

export const errorResponses = {
  400: failure("Bad input (no file and no URL, both, a bad option), or the URL could not be fetched", "Invalid request parameters: a file (form field \"file\") or a url is required"),
  401: failure("The API key is missing, unknown or revoked", "API key required"),
  404: failure("No such extraction, or not visible with this key", "No extraction found with the given UUID."),
  413: failure("The file is larger than MAX_FILE_MB", "File too large (limit: 100 MB)"),
  422: failure("This file type cannot be cleaned, or the file cannot be parsed", "Metadata removal is not supported for this file type (ZIP)"),
  429: failure("Rate limit hit; retry after the Retry-After header's seconds", "Too many requests"),
  500: failure("Anything unexpected (details are in the service's log only)", "An error occurred while processing your request"),
  507: failure("The service ran out of disk space", "Not enough storage space to process the file"),
} as const;

/**
 * Documentation of the POST endpoints' input. Only documented, not validated by Fastify: the
 * handlers read the body themselves (uploads are streamed to disk), see request-input.ts.
 * `openapi.ts` merges it into the route's schema when it builds the document.
 */
function sourceInput(option: Record<string, object>) {
  const url = { type: "string", format: "uri", description: "A URL to fetch instead of uploading a file (http or https).", examples: ["https://example.com/image.jpg"] };
  return {
    security: [{ apiKeyHeader: [] }, { apiKeyQuery: [] }],
    body: {
      content: {
        "multipart/form-data": {
          schema: {
            type: "object",
            properties: { file: { type: "string", format: "binary", description: "The file (exactly one of file and url)." }, url, ...option },
          },
        },
        "application/json": {
          schema: { type: "object", required: ["url"], properties: { url, ...option }, examples: [{ url: "https://example.com/image.jpg" }] },
        },
      },
    },
  } as const;
}

export const extractInput = sourceInput({ numeric: { type: "boolean", description: "Raw values as ExifTool's -n gives them (numbers as JSON numbers)." } });
export const removeInput = sourceInput({
  keep: { type: "string", description: "Comma-separated things not to strip: orientation, colorProfile, copyright (rights-management fields), comments, trackedChanges.", examples: ["orientation,copyright"] },
  unknownMembers: { type: "string", enum: ["refuse", "omit", "keep"], description: "Archives: what to do with members no cleaner handles (refuse: 422 listing them; omit: drop them; keep: keep them unchanged)." },
});
