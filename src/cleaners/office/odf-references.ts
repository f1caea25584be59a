import type { Uses } from "./odf-package.js";
import type { XmlAttr, XmlRules } from "./xml-stream.js";

/** A value longer than this names no file of the package. */
const MAX_REFERENCE = 4096;

/**
 * Which of a package's files and folders (its targets, odf-package.ts) the markup read so far
 * names. Any attribute counts, not only `xlink:href`: a picture named by an attribute no rule
 * knows (an extension's, a Basic dialog's `vnd.sun.star.Package:Pictures/...`) must stay, as
 * dropping a used picture would change the document where the final-text check does not look. A
 * reference is resolved both from the folder of the part that holds it (ODF 1.3 Part 3, 3.9: an
 * embedded object's references are relative to its folder) and from the package's root, which
 * keeps more, never less.
 */
export class References {
  private readonly targets: ReadonlySet<string>;
  /** The last path segment of each target: the one lookup most attribute values cost. */
  private readonly lastSegments: ReadonlySet<string>;
  private readonly named = new Set<string>();

  constructor(targets: Iterable<string>) {
    this.targets = new Set(targets);
    this.lastSegments = new Set([...this.targets].map(lastSegment));
  }

  /** Records the targets that the attribute values of an element of `part` name. */
  note(part: string, values: Iterable<string>): void {
    if (this.targets.size === 0) return;
    for (const value of values) {
      if (value.length > MAX_REFERENCE) continue;
      for (const path of this.candidates(value)) {
        for (const resolved of [join(folderOf(part), path), join("", path)]) {
          if (resolved != null && this.targets.has(resolved)) this.named.add(resolved);
        }
      }
    }
  }

  has(target: string): boolean {
    return this.named.has(target);
  }

  /** The value as written and percent-decoded, without a scheme, fragment or final slash, where its last segment is a target's. */
  private candidates(value: string): string[] {
    if (!value.includes("%") && !value.includes("#") && !this.lastSegments.has(lastSegment(value.endsWith("/") ? value.slice(0, -1) : value))) return [];
    const forms = [value];
    if (value.includes("%")) {
      try {
        forms.push(decodeURIComponent(value));
      } catch {
        // Not percent-encoding: the value as written is the only reading.
      }
    }
    const out: string[] = [];
    for (const form of forms) {
      const path = form.replace(/#.*$/, "").replace(/^[a-z][a-z0-9+.-]*:/i, "").replace(/\/$/, "");
      if (this.lastSegments.has(lastSegment(path))) out.push(path);
    }
    return out;
  }
}

/**
 * The rules, recording what an element's attributes name in two places: `original` for every
 * element of the part (those inside a dropped one too), `kept` for those the rules keep.
 */
export function recordingReferences(rules: XmlRules, part: string, uses: Uses): XmlRules {
  const values = (attrs: readonly XmlAttr[]): string[] => attrs.map((a) => a.value);
  return {
    ...rules,
    open(el, parents) {
      uses.original.note(part, values(el.attrs));
      const verdict = rules.open(el, parents);
      if (verdict !== "drop") uses.kept.note(part, values(el.attrs));
      return verdict;
    },
    inDropped(attrValues) {
      uses.original.note(part, attrValues);
    },
  };
}

const DOT_OR_EMPTY_SEGMENT = /(^|\/)(\.\.?)?(\/|$)/;

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function folderOf(part: string): string {
  return part.slice(0, part.lastIndexOf("/") + 1);
}

/** `path` resolved from `folder` (`.` and `..` segments applied), or null if it climbs out of the package. */
function join(folder: string, path: string): string | null {
  // Most references are plain (`Pictures/x.png`); only others are taken apart.
  if (!DOT_OR_EMPTY_SEGMENT.test(path)) return folder + path;
  const out: string[] = [];
  for (const seg of (path.startsWith("/") ? path : folder + path).split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.pop() == null) return null;
      continue;
    }
    out.push(seg);
  }
  return out.join("/");
}
