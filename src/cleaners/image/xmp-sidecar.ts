import { refusal } from "../refusal.js";

/** An XMP sidecar is metadata and nothing else: a "clean" copy would be an empty file. */
export const xmpSidecarRefusal = refusal(
  "xmp-sidecar",
  ["XMP"],
  "This is an XMP sidecar file: it holds nothing but metadata about another file, so once the metadata is removed " +
    "nothing is left to hand back. Delete the file instead.",
);
