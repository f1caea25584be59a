const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID from a path, in the lower case the store keeps; null for anything else (the caller's 404). */
export function uuidParam(value: string): string | null {
  return UUID.test(value) ? value.toLowerCase() : null;
}
