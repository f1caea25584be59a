import { isDict, isRef, objectKey, pdfText, type ObjectView } from "./object-view.js";
import type { PdfDict, PdfJson } from "./scrub-objects.js";
import { xfaStreams } from "./xfa-packets.js";

/**
 * File specifications of attached files (a dictionary with embedded data, /EF), wherever they
 * are: the document's attachments, attachment annotations, actions. They keep only the file's
 * name: no folder path (/F, /UF, the platform names /DOS, /Mac, /Unix), no description (/Desc),
 * collection fields (/CI), related files (/RF), thumbnail (/Thumb), file identifiers (/ID).
 */

/** How deep a name tree is followed; real ones have two or three levels. */
const MAX_TREE_DEPTH = 32;

function isEmbeddedFileSpec(v: PdfJson | undefined): v is PdfDict {
  return isDict(v) && isDict(v["/EF"]);
}

/** The file's name without any folder, from the first name the specification gives. */
export function fileName(spec: PdfDict): string {
  for (const key of ["/UF", "/F", "/Unix", "/Mac", "/DOS"]) {
    const text = pdfText(spec[key]);
    const base = text
      ?.split(/[\\/:]/)
      .map((part) => part.replace(/[\0-\x1f]/g, "").trim())
      .filter((part) => part.length > 0)
      .pop();
    if (base != null) return base;
  }
  return "attachment";
}

/** Rewrites every attached file's specification in the objects that will be written. */
export function scrubFileSpecs(view: ObjectView): void {
  for (const key of view.reachable()) {
    const before = view.dictOrValue(key);
    if (before === undefined) continue;
    const after = scrubValue(before);
    if (after !== before) view.setValue(key, after);
  }
}

function scrubValue(v: PdfJson): PdfJson {
  if (Array.isArray(v)) {
    const items = v.map(scrubValue);
    return items.some((x, i) => x !== v[i]) ? items : v;
  }
  if (!isDict(v)) return v;
  if (isDict(v["/EF"])) return scrubFileSpec(v);
  let changed = false;
  const out: PdfDict = {};
  for (const [k, child] of Object.entries(v)) {
    out[k] = scrubValue(child);
    if (out[k] !== child) changed = true;
  }
  return changed ? out : v;
}

function scrubFileSpec(spec: PdfDict): PdfDict {
  const name = `u:${fileName(spec)}`;
  const out: PdfDict = { "/Type": "/Filespec", "/F": name, "/UF": name };
  // How the file relates to the document (PDF/A-3 and ZUGFeRD invoices need it).
  if (spec["/AFRelationship"] != null) out["/AFRelationship"] = spec["/AFRelationship"];
  const ef = spec["/EF"] as PdfDict;
  // The data under the platform-specific names goes with those names; a specification that
  // only has those keeps its first one as the file.
  const data = ef["/F"] ?? ef["/UF"] ?? Object.values(ef)[0] ?? null;
  out["/EF"] = { "/F": data, "/UF": ef["/UF"] ?? data };
  return out;
}

/**
 * The streams holding attached files' data among the objects that will be written: those an
 * /EF dictionary points to, and any stream typed /EmbeddedFile (reached some other way).
 */
export function embeddedFileStreams(view: ObjectView): string[] {
  const found = new Set<string>();
  const visit = (v: PdfJson): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (isDict(v)) {
      if (isEmbeddedFileSpec(v)) for (const ref of Object.values(v["/EF"] as PdfDict)) if (isRef(ref)) found.add(ref);
      Object.values(v).forEach(visit);
    }
  };
  for (const key of view.reachable()) {
    const obj = view.object(key);
    if (obj == null) continue;
    if ("stream" in obj) {
      if (obj.stream.dict["/Type"] === "/EmbeddedFile") found.add(key.slice("obj:".length));
      visit(obj.stream.dict);
    } else {
      visit(obj.value);
    }
  }
  // Some form designers type an XFA form's packets as embedded files: they are the form itself.
  const form = xfaStreams(view);
  return [...found].filter((ref) => {
    if (form.has(objectKey(ref))) return false;
    const obj = view.object(objectKey(ref));
    return obj != null && "stream" in obj;
  });
}

/** The file specifications (written inline or as objects) pointing at each attached file's stream. */
export function specsByStream(view: ObjectView): Map<string, PdfDict[]> {
  const found = new Map<string, PdfDict[]>();
  const visit = (v: PdfJson): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (isDict(v)) {
      if (isEmbeddedFileSpec(v)) {
        for (const ref of new Set(Object.values(v["/EF"] as PdfDict))) if (isRef(ref)) found.set(ref, [...(found.get(ref) ?? []), v]);
      }
      Object.values(v).forEach(visit);
    }
  };
  for (const key of view.reachable()) {
    const v = view.dictOrValue(key);
    if (v !== undefined) visit(v);
  }
  return found;
}

/**
 * Takes attached files out of the document: every file specification holding one of `streams`
 * becomes null wherever it is (an object, an entry, an array item), the associated-files lists
 * (/AF) leave them out, and the document's attachment list is rebuilt without them.
 */
export function dropAttachedFiles(view: ObjectView, streams: ReadonlySet<string>): void {
  const holds = (v: PdfJson | undefined): boolean =>
    isEmbeddedFileSpec(v) && Object.values(v["/EF"] as PdfDict).some((ref) => isRef(ref) && streams.has(ref));
  const strip = (v: PdfJson): PdfJson => {
    if (Array.isArray(v)) {
      const items = v.map((x) => (holds(view.resolve(x)) ? null : strip(x)));
      return items.some((x, i) => x !== v[i]) ? items : v;
    }
    if (!isDict(v)) return v;
    let changed = false;
    const out: PdfDict = {};
    for (const [k, child] of Object.entries(v)) {
      let next = holds(view.resolve(child)) ? null : strip(child);
      if (k === "/AF" && Array.isArray(next) && next !== child) next = next.filter((x) => x !== null);
      if (next !== child) changed = true;
      out[k] = next;
    }
    return changed ? out : v;
  };
  for (const key of view.reachable()) {
    const before = view.dictOrValue(key);
    if (before === undefined) continue;
    const after = holds(before) ? null : strip(before);
    if (after !== before) view.setValue(key, after);
  }
  rebuildAttachmentList(view, []);
}

/**
 * Rebuilds the document's attachment list (the catalog's /EmbeddedFiles name tree) as one flat
 * node keyed by file name: its keys are often the original paths. `added` are the file
 * specifications of removed attachment annotations, whose files join the list. Entries that
 * are not attached files (a reference to a file on the author's disk) leave it.
 */
export function rebuildAttachmentList(view: ObjectView, added: readonly PdfJson[]): void {
  const catalogKey = view.catalogKey();
  const catalog = catalogKey == null ? undefined : view.dictOrValue(catalogKey);
  if (catalogKey == null || !isDict(catalog)) return;
  const namesRef = catalog["/Names"];
  const names = view.resolve(namesRef);
  const treeRef = isDict(names) ? names["/EmbeddedFiles"] : undefined;

  const specs: PdfJson[] = [];
  collectValues(view, view.resolve(treeRef), 0, specs);
  for (const spec of added) if (!(isRef(spec) && specs.includes(spec))) specs.push(spec);
  if (treeRef == null && specs.length === 0) return;

  const used = new Set<string>();
  const entries: Array<[string, PdfJson]> = [];
  for (const spec of specs) {
    const resolved = view.resolve(spec);
    if (!isEmbeddedFileSpec(resolved)) continue;
    entries.push([uniqueName(fileName(resolved), used), spec]);
  }
  // Name trees are sorted by key.
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const tree: PdfDict = { "/Names": entries.flatMap(([name, spec]) => [`u:${name}`, spec]) };

  if (isRef(treeRef)) view.setValue(objectKey(treeRef), tree);
  else {
    const nextNames: PdfDict = { ...(isDict(names) ? names : {}), "/EmbeddedFiles": tree };
    if (isRef(namesRef) && isDict(names)) view.setValue(objectKey(namesRef), nextNames);
    else view.setValue(catalogKey, { ...catalog, "/Names": nextNames });
  }
}

function collectValues(view: ObjectView, node: PdfJson | undefined, depth: number, out: PdfJson[]): void {
  if (!isDict(node) || depth > MAX_TREE_DEPTH) return;
  const pairs = node["/Names"];
  if (Array.isArray(pairs)) for (let i = 1; i < pairs.length; i += 2) out.push(pairs[i]!);
  const kids = node["/Kids"];
  if (Array.isArray(kids)) for (const kid of kids) collectValues(view, view.resolve(kid), depth + 1, out);
}

/** "photo.jpg", then "photo (2).jpg": a name tree's keys must differ. */
function uniqueName(name: string, used: Set<string>): string {
  let candidate = name;
  for (let n = 2; used.has(candidate); n++) {
    const dot = name.lastIndexOf(".");
    candidate = dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
  }
  used.add(candidate);
  return candidate;
}
