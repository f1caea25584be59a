import type { MessageKey } from "./i18n.js";

/**
 * The keys under which `removed` counts hidden content rather than tags (README, "removed"):
 * each count is a thing taken out of the file (a comment, an attachment, a subtitle track), so
 * the page names it in the reader's language instead of showing the key as a tag group.
 */
const HIDDEN: Record<string, MessageKey> = {
  comments: "hiddenComments",
  trackedChanges: "hiddenTrackedChanges",
  annotations: "hiddenAnnotations",
  attachments: "hiddenAttachments",
  scripts: "hiddenScripts",
  provenance: "hiddenProvenance",
  previews: "hiddenPreviews",
  metafileText: "hiddenMetafileText",
  objects: "hiddenObjects",
  privateGroups: "hiddenPrivateGroups",
  privateData: "hiddenPrivateData",
  externalLinks: "hiddenExternalLinks",
  members: "hiddenMembers",
  subtitles: "hiddenSubtitles",
  subtitleHeaders: "hiddenSubtitleHeaders",
  seiUserData: "hiddenSeiUserData",
  unreadUnits: "hiddenUnreadUnits",
  mpeg4UserData: "hiddenMpeg4UserData",
  aacText: "hiddenAacText",
  scriptData: "hiddenScriptData",
};

/** The message naming a kind of hidden content; null for a tag group (or a key this page does not know yet). */
export function hiddenContentLabel(key: string): MessageKey | null {
  return Object.hasOwn(HIDDEN, key) ? (HIDDEN[key] ?? null) : null;
}
