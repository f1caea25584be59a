import { box } from "./make-images.js";
import { jpegSegment } from "./make-exif-blocks.js";

/**
 * JUMBF blocks (ISO/IEC 19566-5) as C2PA writes them, built by hand: superboxes (`jumb`) led by a
 * description box (`jumd`), holding CBOR and JSON boxes, and the APP11 segments a JPEG keeps them in.
 */

/** C2PA's manifest store type, the UUID of a `jumd` box's content type. */
const C2PA_TYPE = Buffer.from("6332706100110010800000aa00389b71", "hex");

/** A JUMBF superbox labelled `label` holding `children`. */
export function jumbfBox(label: string, children: Buffer[]): Buffer {
  const description = box("jumd", Buffer.concat([C2PA_TYPE, Buffer.from([3]), Buffer.from(`${label}\0`, "latin1")]));
  return box("jumb", Buffer.concat([description, ...children]));
}

/** A C2PA manifest store holding one claim: a CBOR map of `assertion` (a text) and a JSON box of `assertion` too. */
export function c2paStore(assertion: string): Buffer {
  const text = Buffer.from(assertion, "utf8");
  const cbor = Buffer.concat([Buffer.from([0xa1, 0x69]), Buffer.from("assertion", "latin1"), Buffer.from([0x78, text.length]), text]);
  const claim = jumbfBox("c2pa.claim", [box("cbor", cbor)]);
  const json = jumbfBox("c2pa.json", [box("json", Buffer.from(JSON.stringify({ assertion }), "utf8"))]);
  return jumbfBox("c2pa", [jumbfBox("urn:uuid:0000", [claim, json])]);
}

/**
 * The APP11 segments holding a JUMBF box, as C2PA cuts it: "JP", box instance 1, a sequence number
 * from `first` (1 by default), the box's 8-byte header again, then up to 65,000 bytes of its payload.
 */
export function jumbfSegments(whole: Buffer, first = 1): Buffer[] {
  const head = whole.subarray(0, 8);
  const body = whole.subarray(8);
  const out: Buffer[] = [];
  let seq = first;
  let at = 0;
  do {
    const number = Buffer.alloc(4);
    number.writeUInt32BE(seq++);
    out.push(jpegSegment(0xeb, Buffer.concat([Buffer.from([0x4a, 0x50, 0, 1]), number, head, body.subarray(at, at + 65_000)])));
    at += 65_000;
  } while (at < body.length);
  return out;
}
