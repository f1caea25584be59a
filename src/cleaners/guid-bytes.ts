/** A GUID as Microsoft formats store it ([MS-DTYP] 2.3.4.2: ASF objects, OLE CLSIDs): its first three fields little-endian. */
export function guid(text: string): Buffer {
  const b = Buffer.from(text.replace(/-/g, ""), "hex");
  return Buffer.concat([Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8)]);
}
