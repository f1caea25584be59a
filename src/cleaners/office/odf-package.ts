import { References } from "./odf-references.js";
import { isXmlName } from "./zip-read.js";

export const MIMETYPE = "mimetype";
export const MANIFEST = "META-INF/manifest.xml";
export const MANIFEST_NS = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0";

/**
 * Parts that are metadata whole: `meta.xml` (of the document and of each embedded object),
 * thumbnails, Writer's layout cache (a binary replay of the last layout), and signatures (the
 * signer's certificate; they would not verify after cleaning anyway).
 */
export const DROPPED = /^((.*\/)?meta\.xml|Thumbnails\/.*|layout-cache|META-INF\/(documentsignatures|macrosignatures|packagesignatures)\.xml)$/;

/**
 * Where an OpenDocument package keeps the pictures its parts show, `Pictures/` (of the document or
 * of an embedded object), the replacement pictures of its objects, and the sound and video
 * Impress embeds (`Media/`, which a `draw:plugin` names).
 */
const PICTURE_PART = /^(?:.+\/)?(?:Pictures|ObjectReplacements|Media)\/[^/]+$/;
/**
 * The manifest's media type of an OLE object (a Word or Excel file embedded by a program
 * LibreOffice has no filter for), a compound file a `draw:object-ole` names. LibreOffice names
 * them `Object 1` or `Obj12345678`, so the manifest, not the name, tells them.
 */
export const OLE_OBJECT_TYPE = "application/vnd.sun.star.oleobject";

/** An embedded object (a chart, a formula, a drawing) is a document of its own in a folder: `Object 1/content.xml`. */
const OBJECT_PART = /^(.+)\/(?:content|styles)\.xml$/;

/** Whether a part is markup the cleaning reads, and so one whose references keep what they name. */
export function isMarkupPart(name: string): boolean {
  return name !== MANIFEST && !DROPPED.test(name) && isXmlName(name);
}

/**
 * What stays only if some markup names it: the picture, media and OLE object files and the embedded objects' folders.
 * Nothing else opens them: the manifest lists every file, used or not.
 */
export interface Targets {
  files: readonly string[];
  /** Without their final slash, as references name them (`./Object 1`). */
  folders: readonly string[];
}

/** `oleObjects`: the files the manifest lists as OLE objects. */
export function targetsOf(names: readonly string[], oleObjects: ReadonlySet<string>): Targets {
  const files = names.filter((n) => (PICTURE_PART.test(n) || oleObjects.has(n)) && !isXmlName(n) && !DROPPED.test(n));
  const folders = new Set<string>();
  for (const n of names) {
    const m = OBJECT_PART.exec(n);
    if (m != null) folders.add(m[1]!);
  }
  return { files, folders: [...folders] };
}

/** Where the markup records what it names: `original` for all of it, `kept` for what the cleaning keeps. */
export interface Uses {
  original: References;
  kept: References;
}

export function usesOf(targets: Targets): Uses {
  const all = [...targets.files, ...targets.folders];
  return { original: new References(all), kept: new References(all) };
}

export interface OdfDropPlan {
  /** Whether an entry goes: a target the kept markup does not name, or anything in such a folder. */
  dropped(name: string): boolean;
  /** The targets named nowhere in the original, a folder with its slash; none inside another. */
  unused: string[];
}

/**
 * What goes once the markup is read. A target only removed content named (the picture of a deleted
 * tracked change) goes with it, and is not counted among the unused.
 */
export function planDrops(targets: Targets, uses: Uses): OdfDropPlan {
  const files = new Set(targets.files.filter((f) => !uses.kept.has(f)));
  const folders = new Set(targets.folders.filter((f) => !uses.kept.has(f)));
  const inDroppedFolder = (name: string): boolean => {
    for (let i = name.indexOf("/"); i > 0; i = name.indexOf("/", i + 1)) if (folders.has(name.slice(0, i))) return true;
    return false;
  };
  const dropped = (name: string): boolean => {
    const bare = name.endsWith("/") ? name.slice(0, -1) : name;
    return files.has(bare) || folders.has(bare) || inDroppedFolder(bare);
  };
  const unused = [
    ...targets.folders.filter((f) => !uses.original.has(f) && !inDroppedFolder(f)).map((f) => `${f}/`),
    ...targets.files.filter((f) => !uses.original.has(f) && !inDroppedFolder(f)),
  ];
  return { dropped, unused };
}
