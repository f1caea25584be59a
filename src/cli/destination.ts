import path from "node:path";

/** Where clean copies go: next to the originals, mirrored under a folder, or over the originals. */
export type Placement = { kind: "beside" } | { kind: "out"; dir: string } | { kind: "in-place" };

/** Extensions that are two words; `NAME.cleaned.EXT` goes before both. */
const DOUBLE_EXTENSIONS = /\.(tar\.(gz|bz2|xz|zst))$/i;

/** The final path of the clean copy of `file` (found at `relative` under its root). */
export function destinationOf(file: string, relative: string, placement: Placement): string {
  switch (placement.kind) {
    case "in-place":
      return file;
    case "out":
      return path.join(placement.dir, relative);
    case "beside":
      return besideName(file);
  }
}

/** `photo.jpg` -> `photo.cleaned.jpg`, `a.tar.gz` -> `a.cleaned.tar.gz`, `README` -> `README.cleaned`. */
export function besideName(file: string): string {
  const base = path.basename(file);
  const ext = DOUBLE_EXTENSIONS.exec(base)?.[0] ?? path.extname(base);
  return path.join(path.dirname(file), `${base.slice(0, base.length - ext.length)}.cleaned${ext}`);
}
