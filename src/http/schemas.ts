/**
 * JSON schemas of the routes: they validate input, shape output and feed the OpenAPI document.
 * Metadata is open-ended (ExifTool knows ~30,000 tags), so its groups are free-form objects.
 */
export const errorResponse = {
  type: "object",
  required: ["success", "error"],
  properties: {
    success: { type: "boolean", const: false },
    error: { type: "string", examples: ["Invalid request parameters: a file (form field \"file\") or a url is required"] },
  },
} as const;

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

const extractionProperties = {
  success: { type: "boolean", const: true },
  status: { type: "string", const: "completed" },
  uuid,
  fileName: { type: "string", examples: ["image.jpg"] },
  metadata,
  warnings: { type: "array", items: { type: "string" } },
} as const;

export const extractResponse = {
  type: "object",
  required: ["success", "status", "uuid", "fileName", "metadata", "warnings"],
  properties: extractionProperties,
} as const;

export const storedExtractionResponse = {
  type: "object",
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
  required: ["success", "status", "uuid", "fileName", "downloadUrl", "expiresAt", "removed", "remaining"],
  properties: {
    success: { type: "boolean", const: true },
    status: { type: "string", const: "completed" },
    uuid,
    fileName: { type: "string" },
    downloadUrl: { type: "string", format: "uri" },
    expiresAt: { type: "string", format: "date-time" },
    removed: tagCounts,
    remaining: { type: "object", additionalProperties: { type: "object", additionalProperties: true } },
  },
} as const;

export const sourceQuery = {
  type: "object",
  properties: {
    url: { type: "string", description: "A URL to fetch instead of uploading a file." },
    key: { type: "string", description: "The API key (the X-API-Key header wins)." },
    numeric: { type: "string", description: "`true`: raw values as ExifTool's -n gives them (extract only)." },
    keep: { type: "string", description: "Comma-separated: orientation, colorProfile (remove only)." },
  },
  additionalProperties: true,
} as const;

export const uuidParams = {
  type: "object",
  required: ["uuid"],
  properties: { uuid: { type: "string" } },
} as const;

export const errorResponses = {
  400: errorResponse,
  401: errorResponse,
  404: errorResponse,
  413: errorResponse,
  422: errorResponse,
  429: errorResponse,
  500: errorResponse,
} as const;
