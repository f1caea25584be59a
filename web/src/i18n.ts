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
  noFindings: "Nothing was found that gives away a place, a person, a device, a date or hidden content.",
  kindLocation: "Location",
  kindLocationText: "The file tells where it was made.",
  kindPeople: "People",
  kindPeopleText: "The file names people: authors, owners, editors, commenters.",
  kindDevice: "Device",
  kindDeviceText: "The file names the device that made it, maybe with its serial number or owner.",
  kindTime: "Dates and times",
  kindTimeText: "The file tells when it was made or edited.",
  kindSoftware: "Software",
  kindSoftwareText: "The file names the software that made or edited it.",
  kindIdentifiers: "Identifiers",
  kindIdentifiersText: "The file carries identifiers that link its copies and versions.",
  kindPreviews: "Thumbnails and previews",
  kindPreviewsText: "The file holds thumbnails or previews, which may show more than the picture itself.",
  kindAi: "AI generation",
  kindAiText: "The file carries traces of the AI model that generated it.",
  kindProvenance: "Content Credentials",
  kindProvenanceText: "The file carries a C2PA manifest: the software that made it and who signed it.",
  kindHidden: "Hidden content",
  kindHiddenText: "The file hides content a viewer does not show: comments, changes, attachments, data after its end.",
  kindEmbedded: "Files inside",
  kindEmbeddedText: "The file contains other files, each with metadata of its own.",
  severityHigh: "serious",
  severityMedium: "worth a look",
  severityLow: "minor",
  openMap: "Open on OpenStreetMap",
  removeTitle: "Remove the metadata",
  removeButton: "Remove metadata and download",
  keepTitle: "Keep",
  keepOrientation: "the orientation",
  keepColorProfile: "the colour profile",
  keepCopyright: "copyright and rights information",
  keepComments: "review comments (authors and dates removed)",
  keepTrackedChanges: "tracked changes (authors and dates removed)",
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
  noFindings: "Rien n'a été trouvé qui révèle un lieu, une personne, un appareil, une date ou un contenu caché.",
  kindLocation: "Lieu",
  kindLocationText: "Le fichier dit où il a été fait.",
  kindPeople: "Personnes",
  kindPeopleText: "Le fichier nomme des personnes : auteurs, propriétaires, relecteurs, commentateurs.",
  kindDevice: "Appareil",
  kindDeviceText: "Le fichier nomme l'appareil qui l'a fait, parfois avec son numéro de série ou son propriétaire.",
  kindTime: "Dates et heures",
  kindTimeText: "Le fichier dit quand il a été fait ou modifié.",
  kindSoftware: "Logiciels",
  kindSoftwareText: "Le fichier nomme les logiciels qui l'ont produit ou modifié.",
  kindIdentifiers: "Identifiants",
  kindIdentifiersText: "Le fichier porte des identifiants qui relient ses copies et ses versions.",
  kindPreviews: "Vignettes et aperçus",
  kindPreviewsText: "Le fichier contient des vignettes ou des aperçus, qui peuvent montrer plus que l'image elle-même.",
  kindAi: "Génération par IA",
  kindAiText: "Le fichier garde la trace du modèle d'IA qui l'a généré.",
  kindProvenance: "Content Credentials",
  kindProvenanceText: "Le fichier porte un manifeste C2PA : le logiciel qui l'a produit et qui l'a signé.",
  kindHidden: "Contenu caché",
  kindHiddenText: "Le fichier cache du contenu qu'un lecteur ne montre pas : commentaires, modifications, pièces jointes, données après sa fin.",
  kindEmbedded: "Fichiers intégrés",
  kindEmbeddedText: "Le fichier en contient d'autres, chacun avec ses propres métadonnées.",
  severityHigh: "sérieux",
  severityMedium: "à vérifier",
  severityLow: "mineur",
  openMap: "Ouvrir dans OpenStreetMap",
  removeTitle: "Supprimer les métadonnées",
  removeButton: "Supprimer les métadonnées et télécharger",
  keepTitle: "Garder",
  keepOrientation: "l'orientation",
  keepColorProfile: "le profil de couleur",
  keepCopyright: "le copyright et les informations de droits",
  keepComments: "les commentaires de relecture (sans auteurs ni dates)",
  keepTrackedChanges: "les modifications suivies (sans auteurs ni dates)",
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
