import { FileBytes } from "../../cleaners/file-bytes.js";
import { LINKED_FILE_BLOCKS } from "../../cleaners/image/psd-block-policy.js";
import { readLayerSection } from "../../cleaners/image/psd-layer-structure.js";
import { type LinkedItem, linkedItems } from "../../cleaners/image/psd-linked-files.js";
import { readLayout, readSections } from "../../cleaners/image/psd-structure.js";
import { readTaggedBlocks } from "../../cleaners/image/psd-tagged-blocks.js";
import { embeddedFinding, type Finding, type TagEntry, shortValue } from "./types.js";

const PSD_TYPES = new Set(["PSD", "PSB"]);
/** Links to files outside the document (Photoshop CC's linked smart objects). */
const EXTERNAL_LINKS = "lnkE";

/**
 * `embedded` and `hidden` of Photoshop documents, whose smart objects ExifTool does not read: the
 * files embedded whole (a placed photo, a PDF, another document, each with metadata of its own),
 * and links to files on the author's disk (named by their path there), by their original names,
 * as the cleaner finds them (psd-linked-files.ts). The embedded files' own metadata is not read
 * here, as for an office document's pictures or a PDF's attachments.
 */
export async function psdFindings(entries: readonly TagEntry[], file: string): Promise<Finding[]> {
  const type = entries.find((t) => t.group === "File" && t.tag === "FileType")?.value;
  if (typeof type !== "string" || !PSD_TYPES.has(type)) return [];
  let items: LinkedItem[];
  try {
    items = await linkedFiles(file);
  } catch {
    // A document that cannot be read this far has nothing of this to show; its damage is reported elsewhere.
    return [];
  }
  const findings: Finding[] = [];
  const embedded = items.filter((i) => i.embedded).map((i) => i.name);
  if (embedded.length > 0) findings.push(embeddedFinding(embedded));
  const linked = items.filter((i) => !i.embedded).map((i) => i.name);
  if (linked.length > 0) {
    findings.push({
      kind: "hidden",
      severity: "medium",
      title: `The document links to ${linked.length} file(s) outside it, naming where they lie on its author's disk.`,
      tags: [],
      value: shortValue(linked.join("; ")),
    });
  }
  return findings;
}

/** The items of the document's linked-layer blocks, which Photoshop writes among the global tagged blocks. */
export async function linkedFiles(file: string): Promise<LinkedItem[]> {
  const src = await FileBytes.open(file);
  try {
    const { big } = await readLayout(src);
    const section = await readLayerSection(src, big, (await readSections(src)).layersAt);
    const items: LinkedItem[] = [];
    for (const block of await readTaggedBlocks(src, section.maskEnd, section.end, big, { blocks: 0 })) {
      if (LINKED_FILE_BLOCKS.has(block.key) || block.key === EXTERNAL_LINKS) items.push(...(await linkedItems(src, block)));
    }
    return items;
  } finally {
    await src.close();
  }
}
