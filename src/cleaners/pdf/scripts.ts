import { isDict, pdfText, type ObjectView } from "./object-view.js";
import type { PdfDict, PdfJson } from "./scrub-objects.js";

/**
 * JavaScript in a PDF is hidden content: a viewer runs it on opening, printing, saving, on a
 * click or a keystroke, and it can phone home (`submitForm`, `launchURL`, `getURL`) or carry
 * identifying text (comments, names, paths in the code). It goes wherever it is:
 * - the document's scripts (the catalog's /Names /JavaScript name tree);
 * - JavaScript actions (/S /JavaScript) wherever an action can be: the catalog's /OpenAction and
 *   /AA (on close, save, print), pages' /AA (on open, close), annotations' /A and /AA (links,
 *   buttons, widgets), form fields' /AA (keystroke, format, validate, calculate), bookmarks,
 *   and the /Next chain of any other action;
 * - a rendition action's /JS, and a link to a `javascript:` URI.
 * What the removed action was followed by (its /Next: a jump to a page, say) takes its place.
 * Form fields stay fields with their names, values and appearances: they only stop checking
 * and computing what is typed into them, which a viewer without JavaScript does not do either.
 */

/** How long a chain of /Next actions is followed; real ones have one or two links. */
const MAX_CHAIN = 32;

/** A JavaScript action, or a link to a `javascript:` URI (a viewer runs it as well). */
export function isScript(v: PdfJson | undefined): v is PdfDict {
  if (!isDict(v)) return false;
  if (v["/S"] === "/JavaScript") return true;
  return v["/S"] === "/URI" && /^\s*javascript:/i.test(pdfText(v["/URI"]) ?? "");
}

/**
 * Takes every script out of the objects that will be written; resolves to how many there were
 * (each JavaScript action once, however often it is referenced, and each rendition's script).
 */
export function removeScripts(view: ObjectView): number {
  const reachable = view.reachable();
  let count = 0;
  // References are not followed: an indirect action is counted once, with its own object.
  const countIn = (v: PdfJson): void => {
    if (Array.isArray(v)) v.forEach(countIn);
    else if (isDict(v)) {
      if (isScript(v) || (v["/S"] != null && v["/JS"] != null)) count++;
      Object.values(v).forEach(countIn);
    }
  };
  for (const key of reachable) {
    const v = view.dictOrValue(key);
    if (v !== undefined) countIn(v);
  }
  if (count === 0) return 0;

  /** What stands for an action: itself (its own scripts taken out), or, for a script, what follows it. */
  const successors = (action: PdfJson, depth: number): PdfJson[] => {
    const resolved = view.resolve(action);
    if (!isScript(resolved)) return [strip(action)];
    const next = resolved["/Next"];
    if (next == null || depth >= MAX_CHAIN) return [];
    return (Array.isArray(next) ? next : [next]).flatMap((a) => successors(a, depth + 1));
  };

  const strip = (v: PdfJson): PdfJson => {
    if (Array.isArray(v)) {
      const items = v.flatMap((x) => (isScript(view.resolve(x)) ? successors(x, 0) : [strip(x)]));
      return items.length === v.length && items.every((x, i) => x === v[i]) ? v : items;
    }
    if (!isDict(v)) return v;
    let changed = false;
    const out: PdfDict = {};
    for (const [k, child] of Object.entries(v)) {
      // The document's scripts; and a rendition action's script (the rendition itself stays).
      if (k === "/JavaScript" || (k === "/JS" && v["/S"] != null)) {
        changed = true;
        continue;
      }
      if (isScript(view.resolve(child))) {
        changed = true;
        const next = successors(child, 0);
        // /Next may list several actions; anywhere else one action stands, the first leading the rest.
        if (next.length === 1 || (next.length > 1 && k === "/Next")) out[k] = next.length === 1 ? next[0]! : next;
        else if (next.length > 1) out[k] = chained(view, next);
        continue;
      }
      const after = strip(child);
      if (after !== child) changed = true;
      out[k] = after;
    }
    return changed ? out : v;
  };

  const scripts: string[] = [];
  for (const key of reachable) {
    const before = view.dictOrValue(key);
    if (before === undefined) continue;
    if (isScript(before) && key !== "trailer") scripts.push(key);
    const after = strip(before);
    if (after !== before) view.setValue(key, after);
  }
  // Emptied, so that nothing still pointing at one (a damaged name tree, a structure element)
  // can bring it back into the written file.
  for (const key of scripts) view.setValue(key, null);
  return count;
}

/** One action standing for several in a row: the first (a copy), the others after its own /Next. */
function chained(view: ObjectView, actions: PdfJson[]): PdfJson {
  const first = view.resolve(actions[0]);
  if (!isDict(first)) return actions[0]!;
  const own = first["/Next"];
  const ownList = own == null ? [] : Array.isArray(own) ? own : [own];
  return { ...first, "/Next": [...ownList, ...actions.slice(1)] };
}
