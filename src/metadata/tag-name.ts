/** A key or chunk type as ExifTool makes a tag name of it: word characters only, the first one upper case. */
export function tagName(key: string): string {
  const word = key.replace(/[^\w]+/g, "");
  return word === "" ? "Unknown" : word[0]!.toUpperCase() + word.slice(1);
}
