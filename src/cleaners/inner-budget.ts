/**
 * How much a file may hold inside it. A DOCX or SVG can name thousands of inner images, each
 * costing two ExifTool reads and a cleaner: past these bounds the file is "too complex", a 422,
 * instead of hours of work and a temp file per image.
 */
export const INNER_LIMITS = {
  /** Nested files (an image in a DOCX attached to a PDF is two levels). */
  maxDepth: 3,
  /** Inner files cleaned for one request, at every level together. */
  maxFiles: 1000,
  /** Their bytes together. */
  maxBytes: 1024 * 1024 * 1024,
} as const;

/** What one request has used so far (shared by every level of its nesting). */
export interface InnerBudget {
  files: number;
  bytes: number;
}
