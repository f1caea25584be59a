/**
 * The page's two languages. English is the reference: French must have the same keys, which the
 * type checks. API error sentences are shown as the API wrote them and are not translated here.
 */
const en = {
  title: "What does your file give away?",
  tagline: "Drop a photo, a PDF, a song or a document: see its hidden metadata, then download a copy without it.",
  switchLanguage: "Français",
  keyLabel: "API key",
  keyHint: "Kept in this browser only, and sent in a header, never in an address.",
  keyForget: "Forget the key",
  dropTitle: "Drop a file here",
  dropOr: "or press to choose one",
  urlLabel: "…or the address of a file on the web",
  urlButton: "Read its metadata",
  reading: "Reading the metadata…",
  removing: "Removing the metadata…",
  noKey: "Enter your API key first.",
  unreachable: "The service could not be reached. Check your connection and try again.",
  unexpected: "The service sent an answer this page does not understand.",
  findingsTitle: "What this file gives away",
  noFindings: "No location, names, serial numbers, software, dates or thumbnail were found.",
  kindGps: "Location (GPS)",
  kindSerial: "Serial number",
  kindAuthor: "Author or owner",
  kindSoftware: "Software",
  kindDate: "Dates",
  kindThumbnail: "Embedded thumbnail or preview",
  thumbnailNote: "An older or uncropped version of the picture may hide in it.",
  openMap: "Open on OpenStreetMap",
  removeTitle: "Remove the metadata",
  removeButton: "Remove metadata and download",
  removedTitle: "Removed",
  remainingTitle: "Still in the cleaned file",
  nothingRemoved: "Nothing had to be removed.",
  nothingRemains: "Nothing: the cleaned file carries no metadata.",
  downloadAgain: "Download the cleaned file again",
  expires: "The cleaned file can be downloaded until {date}.",
  groupsTitle: "All metadata",
  filterLabel: "Filter tags by name or value",
  filterCount: "{shown} of {total} tags",
  noMatch: "No tag matches the filter.",
  tag: "Tag",
  value: "Value",
  tagCount: "{n} tags",
  warningsTitle: "Messages from ExifTool",
  fileSummary: "{name} · {type} · {size}",
  docs: "API documentation",
  footer: "Files go to this service only; this page loads nothing from other sites.",
};

export type MessageKey = keyof typeof en;
export type Lang = "en" | "fr";

const fr: Record<MessageKey, string> = {
  title: "Que révèle votre fichier ?",
  tagline: "Déposez une photo, un PDF, un morceau ou un document : voyez ses métadonnées cachées, puis téléchargez une copie qui en est débarrassée.",
  switchLanguage: "English",
  keyLabel: "Clé d'API",
  keyHint: "Gardée dans ce navigateur seulement, et envoyée dans un en-tête, jamais dans une adresse.",
  keyForget: "Oublier la clé",
  dropTitle: "Déposez un fichier ici",
  dropOr: "ou appuyez pour en choisir un",
  urlLabel: "…ou l'adresse d'un fichier sur le web",
  urlButton: "Lire ses métadonnées",
  reading: "Lecture des métadonnées…",
  removing: "Suppression des métadonnées…",
  noKey: "Saisissez d'abord votre clé d'API.",
  unreachable: "Le service est injoignable. Vérifiez votre connexion et réessayez.",
  unexpected: "Le service a envoyé une réponse que cette page ne comprend pas.",
  findingsTitle: "Ce que ce fichier révèle",
  noFindings: "Aucune position, aucun nom, numéro de série, logiciel, date ni vignette n'a été trouvé.",
  kindGps: "Position (GPS)",
  kindSerial: "Numéro de série",
  kindAuthor: "Auteur ou propriétaire",
  kindSoftware: "Logiciel",
  kindDate: "Dates",
  kindThumbnail: "Vignette ou aperçu intégré",
  thumbnailNote: "Une version plus ancienne ou non recadrée de l'image peut s'y cacher.",
  openMap: "Ouvrir dans OpenStreetMap",
  removeTitle: "Supprimer les métadonnées",
  removeButton: "Supprimer les métadonnées et télécharger",
  removedTitle: "Supprimé",
  remainingTitle: "Encore présent dans le fichier nettoyé",
  nothingRemoved: "Il n'y avait rien à supprimer.",
  nothingRemains: "Rien : le fichier nettoyé ne contient plus de métadonnées.",
  downloadAgain: "Télécharger à nouveau le fichier nettoyé",
  expires: "Le fichier nettoyé peut être téléchargé jusqu'au {date}.",
  groupsTitle: "Toutes les métadonnées",
  filterLabel: "Filtrer les balises par nom ou valeur",
  filterCount: "{shown} balises sur {total}",
  noMatch: "Aucune balise ne correspond au filtre.",
  tag: "Balise",
  value: "Valeur",
  tagCount: "{n} balises",
  warningsTitle: "Messages d'ExifTool",
  fileSummary: "{name} · {type} · {size}",
  docs: "Documentation de l'API",
  footer: "Les fichiers ne vont qu'à ce service ; cette page ne charge rien depuis d'autres sites.",
};

const messages: Record<Lang, Record<MessageKey, string>> = { en, fr };
const STORAGE_KEY = "exifapi.lang";

/** The saved choice, else the first of the browser's languages we speak, else English. */
export function initialLang(): Lang {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === "en" || saved === "fr") return saved;
  for (const tag of navigator.languages) {
    const base = tag.toLowerCase().split("-")[0];
    if (base === "fr" || base === "en") return base;
  }
  return "en";
}

export function saveLang(lang: Lang): void {
  localStorage.setItem(STORAGE_KEY, lang);
}

export function translate(lang: Lang, key: MessageKey, params: Record<string, string | number> = {}): string {
  return messages[lang][key].replace(/\{(\w+)\}/g, (whole, name: string) => String(params[name] ?? whole));
}
