import type { PdfDict, PdfJson, QpdfDocument, QpdfObject } from "./scrub-objects.js";

/**
 * The objects of a PDF as they will be written: qpdf's dump with the edit built so far laid
 * over it. Each cleaning step reads through it, so it sees what the steps before it changed.
 */
export class ObjectView {
  constructor(
    readonly doc: QpdfDocument,
    readonly update: QpdfDocument,
  ) {}

  get changes(): Record<string, QpdfObject> {
    return this.update.qpdf[1];
  }

  object(key: string): QpdfObject | undefined {
    return this.changes[key] ?? this.doc.qpdf[1][key];
  }

  /** A non-stream object's value, or a stream's dictionary. */
  dictOrValue(key: string): PdfJson | undefined {
    const o = this.object(key);
    if (o == null) return undefined;
    return "stream" in o ? o.stream.dict : o.value;
  }

  /** Follows a reference to a non-stream object's value (a stream's dictionary for a stream). */
  resolve(v: PdfJson | undefined): PdfJson | undefined {
    return isRef(v) ? this.dictOrValue(objectKey(v)) : v;
  }

  setValue(key: string, value: PdfJson): void {
    const o = this.object(key);
    this.changes[key] = o != null && "stream" in o ? { stream: { ...o.stream, dict: value as PdfDict } } : { value };
  }

  /** The catalog's key, from the trailer's /Root. */
  catalogKey(): string | null {
    const trailer = this.dictOrValue("trailer");
    const root = isDict(trailer) ? trailer["/Root"] : undefined;
    return isRef(root) ? objectKey(root) : null;
  }

  /**
   * The objects qpdf will write: those reachable from the trailer. Older revisions and objects
   * a cleaning step cut loose are not among them.
   */
  reachable(): Set<string> {
    const seen = new Set<string>(["trailer"]);
    const todo: PdfJson[] = [this.dictOrValue("trailer") ?? null];
    while (todo.length > 0) {
      const v = todo.pop()!;
      if (isRef(v)) {
        const key = objectKey(v);
        if (seen.has(key)) continue;
        const target = this.dictOrValue(key);
        if (target === undefined) continue;
        seen.add(key);
        todo.push(target);
      } else if (Array.isArray(v)) {
        // One by one: spreading an array of a million references overflows the stack.
        for (const item of v) todo.push(item);
      } else if (isDict(v)) {
        for (const item of Object.values(v)) todo.push(item);
      }
    }
    return seen;
  }
}

const REF = /^\d+ \d+ R$/;

/** qpdf's JSON spells an indirect reference "4 0 R". */
export function isRef(v: PdfJson | undefined): v is string {
  return typeof v === "string" && REF.test(v);
}

/** The dump's key for the object a reference points to. */
export function objectKey(ref: string): string {
  return `obj:${ref}`;
}

export function isDict(v: PdfJson | undefined): v is PdfDict {
  return v != null && typeof v === "object" && !Array.isArray(v);
}

/** A PDF string (qpdf: "u:" text, "b:" hex bytes) as text; null for anything else. */
export function pdfText(v: PdfJson | undefined): string | null {
  if (typeof v !== "string") return null;
  if (v.startsWith("u:")) return v.slice(2);
  if (!v.startsWith("b:")) return null;
  const bytes = Buffer.from(v.slice(2), "hex");
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return Buffer.from(bytes.subarray(2, bytes.length - (bytes.length % 2))).swap16().toString("utf16le");
  }
  return bytes.toString("latin1");
}
