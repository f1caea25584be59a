import fs from "node:fs";
import { describeName } from "../../cleaners/archive/member-name.js";
import type { LinkedItem } from "../../cleaners/image/psd-linked-files.js";
import { copyCounted } from "./inner-copy.js";
import type { InnerSource } from "./inner-types.js";
import { linkedFiles } from "./psd.js";

/** Photoshop documents' smart objects: each file embedded whole (a placed photo, a PDF), by its original name. */
export const psdSource: InnerSource = async (file, _scratch, visit) => {
  let items: LinkedItem[];
  try {
    items = await linkedFiles(file);
  } catch (err) {
    // A failing disk is the service's problem; a document that cannot be read this far holds none (psd.ts says the same).
    if (err instanceof Error && "syscall" in err) throw err;
    return 0;
  }
  for (const item of items) {
    const range = item.file;
    if (range == null || range.length === 0) continue;
    await visit({
      name: describeName(item.name),
      claimedSize: range.length,
      copyTo: (dest, maxBytes) => copyCounted(async () => fs.createReadStream(file, { start: range.at, end: range.at + range.length - 1 }), dest, maxBytes),
    });
  }
  return 0;
};
