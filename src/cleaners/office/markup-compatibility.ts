import type { Verdict, XmlElement } from "./xml-stream.js";

const MC = "http://schemas.openxmlformats.org/markup-compatibility/2006";
const XMLNS = "http://www.w3.org/2000/xmlns/";
/**
 * Where the namespaces Office and the OOXML standard define live (ECMA-376, Microsoft's own
 * extensions, VML, XML and Dublin Core). A namespace elsewhere is one no Office application
 * understands: an add-in's, a document management system's, or a damaged declaration.
 */
const KNOWN_BASES = [
  "http://schemas.openxmlformats.org/",
  "http://purl.oclc.org/ooxml/",
  "http://schemas.microsoft.com/",
  "urn:schemas-microsoft-com:",
  "http://www.w3.org/",
  "http://purl.org/dc/",
];

function isKnown(uri: string): boolean {
  return KNOWN_BASES.some((base) => uri.startsWith(base));
}

/**
 * What an element's markup-compatibility declarations, and its parents', say. Prefixes are looked
 * up the chain of scopes rather than copied into each: a part can declare a namespace on every
 * element, and copying the root's hundreds of prefixes into each made a 27 KB DOCX cost seconds.
 */
interface Scope {
  parent: Scope | null;
  /** The prefixes this scope's element declares itself. */
  prefixes: ReadonlyMap<string, string>;
  /** Namespaces declared ignorable that Office does not know: their markup is ignored by every Office reader. */
  ignored: ReadonlySet<string>;
  /** `uri local` (or `uri *`) of ignored elements whose content is still read (`mc:ProcessContent`). */
  processContent: ReadonlySet<string>;
}

const NO_SCOPE: Scope = { parent: null, prefixes: new Map(), ignored: new Set(), processContent: new Set() };

/** The namespace `prefix` names in `scope`. */
function resolve(scope: Scope, prefix: string): string | undefined {
  for (let s: Scope | null = scope; s != null; s = s.parent) {
    const uri = s.prefixes.get(prefix);
    if (uri != null) return uri;
  }
  return undefined;
}

/**
 * Markup compatibility (ECMA-376 Part 3) as an Office reader applies it, for the namespaces no
 * Office version understands: their elements and attributes, where `mc:Ignorable` lets a reader
 * skip them, are never shown, so a writer's data there (an add-in's document ids, a damaged
 * namespace's text) is hidden. They go, as does an `mc:Choice` requiring such a namespace, which
 * no reader picks; an ignored element listed in `mc:ProcessContent` keeps its content. Namespace
 * declarations stay: `mc:Ignorable` still names their prefixes.
 */
export class MarkupCompatibility {
  /** The scope inside each open element, by depth: elements are opened in document order. */
  private readonly scopes: Scope[] = [];

  /** The verdict on an element the markup says to skip (its ignored attributes removed from `el`), or null. */
  open(el: XmlElement, parents: readonly XmlElement[]): Verdict | null {
    const depth = parents.length;
    const scope = scopeOf(el, depth > 0 ? (this.scopes[depth - 1] ?? NO_SCOPE) : NO_SCOPE);
    this.scopes[depth] = scope;
    if (scope.ignored.has(el.uri)) return scope.processContent.has(`${el.uri} ${el.local}`) || scope.processContent.has(`${el.uri} *`) ? "unwrap" : "drop";
    if (el.uri === MC && el.local === "Choice") {
      const requires = el.attrs.find((a) => a.uri === "" && a.local === "Requires")?.value ?? "";
      if (words(requires).some((prefix) => !isKnown(resolve(scope, prefix) ?? ""))) return "drop";
    }
    if (scope.ignored.size > 0) el.attrs = el.attrs.filter((a) => !scope.ignored.has(a.uri));
    return null;
  }
}

/** The scope inside `el`: its parent's, with what its own namespace and compatibility attributes add. */
function scopeOf(el: XmlElement, parent: Scope): Scope {
  const declares = el.attrs.some((a) => a.uri === XMLNS || a.uri === MC);
  if (!declares) return parent;
  const scope: Scope = { parent, prefixes: new Map(el.attrs.filter((a) => a.uri === XMLNS).map((a) => [a.local, a.value])), ignored: parent.ignored, processContent: parent.processContent };
  for (const a of el.attrs) {
    if (a.uri !== MC) continue;
    if (a.local === "Ignorable") {
      const ignored = new Set(parent.ignored);
      for (const prefix of words(a.value)) {
        const uri = resolve(scope, prefix);
        if (uri != null && !isKnown(uri)) ignored.add(uri);
      }
      scope.ignored = ignored;
    } else if (a.local === "ProcessContent") {
      const processContent = new Set(parent.processContent);
      for (const qname of words(a.value)) {
        const [prefix = "", local = ""] = qname.split(":");
        const uri = resolve(scope, prefix);
        if (uri != null) processContent.add(`${uri} ${local}`);
      }
      scope.processContent = processContent;
    }
  }
  return scope;
}

function words(value: string): string[] {
  return value.split(/\s+/).filter((w) => w !== "");
}
