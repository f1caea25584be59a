import type { Extraction, Removal } from "./api.js";
import { h } from "./dom.js";
import { type Finding, kindMessages, mapLink, positionOf, SEVERITY_KEYS } from "./findings.js";
import { formatValue, groupLabel, sectionsOf } from "./groups.js";
import { hiddenContentLabel } from "./hidden-content.js";
import type { Lang, MessageKey } from "./i18n.js";

export type T = (key: MessageKey, params?: Record<string, string | number>) => string;

function tagCount(n: number, t: T): string {
  return n === 1 ? t("tagCountOne") : t("tagCount", { n });
}

export function fileSummary(x: Extraction, t: T, lang: Lang): string {
  const file = x.metadata["File"] ?? {};
  const size = typeof file["Size"] === "number" ? formatBytes(file["Size"], lang) : "";
  const type = typeof file["Type"] === "string" ? file["Type"] : "";
  return t("fileSummary", { name: x.fileName, type, size });
}

function formatBytes(n: number, lang: Lang): string {
  const units = lang === "fr" ? ["o", "ko", "Mo", "Go"] : ["B", "kB", "MB", "GB"];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: unit === 0 ? 0 : 1 }).format(value)} ${units[unit] ?? ""}`;
}

/** Names of the files inside a finding is about longer than this are shown on demand, not in its sentence. */
const INLINE_NAMES = 120;

/**
 * The highlighted list at the top: the API's findings, most serious first, each titled by its
 * kind in the page's language, with its value (a position gets a map link) and the tags it
 * comes from. In English the API's own sentence says what was found; other languages describe
 * the kind, naming the file inside the file a finding is about. A finding that many files inside
 * share (64 photos of a ZIP) says how many, and lists their names in a box that opens.
 */
export function findingsView(x: Extraction, t: T, lang: Lang): HTMLElement {
  if (x.findings.length === 0) return h("p", { class: "muted" }, t("noFindings"));
  const list = h("div", { class: "findings" });
  for (const finding of x.findings) {
    const messages = kindMessages(finding.kind);
    if (messages == null) continue;
    const many = finding.innerFiles != null && finding.innerFiles.names.length > INLINE_NAMES ? finding.innerFiles : null;
    const text = many != null
      ? `${t("innerFilesListed", { n: many.count })}${lang === "en" ? many.sentence : t(messages.text)}`
      : lang === "en" && finding.title !== "" ? finding.title : translatedText(finding, messages.text, t);
    const card = h("div", { class: "finding", "data-kind": finding.kind, "data-severity": finding.severity },
      h("h3", {}, t(messages.name)),
      h("p", { class: `severity severity-${finding.severity}` }, t(SEVERITY_KEYS[finding.severity])),
      h("p", { class: "finding-text" }, text));
    if (many != null) card.append(h("details", { class: "inner-files" }, h("summary", {}, t("innerFilesNames", { n: many.count })), h("p", {}, many.names)));
    const position = finding.kind === "location" ? positionOf(finding.value) : null;
    if (position != null) {
      card.append(
        h("p", { class: "coords" }, `${position.lat.toFixed(6)}, ${position.lon.toFixed(6)}`, " ",
          h("a", { href: mapLink(position), target: "_blank", rel: "noopener noreferrer", class: "map-link" }, t("openMap"))),
      );
    } else if (finding.value != null) {
      card.append(h("p", { class: "tag-value" }, finding.value));
    }
    if (finding.tags.length > 0) card.append(h("p", { class: "tag-name" }, finding.tags.join(" · ")));
    list.append(card);
  }
  return list;
}

/** A finding's sentence in another language than the API's: its kind's, after the inner file or files it is about. */
function translatedText(finding: Finding, text: MessageKey, t: T): string {
  if (finding.notLookedInto != null) return t("notLookedInto", { n: finding.notLookedInto });
  if (finding.innerFiles != null) return `${t("innerFiles", { n: finding.innerFiles.count, names: finding.innerFiles.names })}${t(text)}`;
  return finding.innerFile != null ? `${t("innerFile", { name: finding.innerFile })}${t(text)}` : t(text);
}

/** Every group as a titled table, with a row of links that give the count per group. */
export function groupsView(x: Extraction, t: T): { nav: HTMLElement; tables: HTMLElement } {
  const nav = h("ul", { class: "group-nav" });
  const tables = h("div", {});
  for (const section of sectionsOf(x.metadata)) {
    const id = `group-${section.id}`;
    nav.append(h("li", {}, h("a", { href: `#${id}` }, `${section.label} `, h("span", { class: "count" }, String(section.tags.length)))));
    const body = h("tbody", {});
    for (const [name, value] of section.tags) {
      body.append(h("tr", { "data-search": `${name} ${value}`.toLowerCase() }, h("th", { scope: "row" }, name), h("td", {}, value)));
    }
    tables.append(
      h("section", { class: "group", id, "aria-labelledby": `${id}-title`, "data-total": String(section.tags.length) },
        h("h3", { id: `${id}-title` }, `${section.label} `, h("span", { class: "count" }, tagCount(section.tags.length, t))),
        h("div", { class: "table-wrap" },
          h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("tag")), h("th", { scope: "col" }, t("value")))), body)),
      ),
    );
  }
  return { nav, tables };
}

/** Hides the rows that do not match, and the groups left empty; returns how many rows show. */
export function applyFilter(tables: HTMLElement, query: string, t: T): { shown: number; total: number } {
  const q = query.trim().toLowerCase();
  let shown = 0;
  let total = 0;
  for (const section of tables.querySelectorAll<HTMLElement>("section.group")) {
    let inSection = 0;
    const rows = section.querySelectorAll<HTMLElement>("tbody tr");
    for (const row of rows) {
      const match = q === "" || (row.dataset["search"] ?? "").includes(q);
      row.hidden = !match;
      if (match) inSection += 1;
    }
    total += rows.length;
    shown += inSection;
    section.hidden = inSection === 0;
    const count = section.querySelector("h3 .count");
    if (count != null) {
      count.textContent = q === "" ? tagCount(rows.length, t) : t("filterCount", { shown: inSection, total: rows.length });
    }
  }
  return { shown, total };
}

/** What the removal took out per group, and what the service still found in the clean copy. */
export function removalView(r: Removal, t: T, lang: Lang): HTMLElement {
  const removed = Object.entries(r.removed).filter(([, n]) => n > 0);
  // Hidden content first: a comment or an attachment says more than a count of tags.
  const hidden: HTMLElement[] = [];
  const groups: HTMLElement[] = [];
  for (const [key, n] of removed) {
    const label = hiddenContentLabel(key);
    if (label == null) groups.push(h("li", {}, `${groupLabel(key)}: ${tagCount(n, t)}`));
    else hidden.push(h("li", { class: "hidden-content", "data-key": key }, t("hiddenCount", { label: t(label), n })));
  }
  const view = h("div", { class: "removal" });
  view.append(h("h3", {}, t("removedTitle")));
  if (removed.length === 0) view.append(h("p", {}, t("nothingRemoved")));
  else view.append(h("ul", { class: "removed-list" }, ...hidden, ...groups));
  view.append(h("h3", {}, t("remainingTitle")));
  const remaining = Object.entries(r.remaining).filter(([, tags]) => Object.keys(tags).length > 0);
  if (remaining.length === 0) view.append(h("p", { class: "remaining-none" }, t("nothingRemains")));
  for (const [group, tags] of remaining) {
    view.append(h("ul", { class: "remaining-list" },
      ...Object.entries(tags).map(([name, value]) => h("li", {}, `${groupLabel(group)} · ${name}: ${formatValue(value)}`))));
  }
  const until = new Intl.DateTimeFormat(lang, { dateStyle: "long", timeStyle: "short" }).format(new Date(r.expiresAt));
  view.append(
    h("p", {}, h("a", { href: r.downloadUrl, download: r.fileName, class: "download-again" }, t("downloadAgain"))),
    h("p", { class: "muted" }, t("expires", { date: until })),
  );
  return view;
}
