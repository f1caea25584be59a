import { ApiError, extract, type Extraction, KEEP_CHOICES, type KeepChoice, remove, type Removal, type Source, TransportError } from "./api.js";
import { byId } from "./dom.js";
import { initialLang, type Lang, type MessageKey, saveLang, translate } from "./i18n.js";
import { applyFilter, fileSummary, findingsView, groupsView, removalView, type T } from "./render.js";

const KEY_STORAGE = "exifapi.apiKey";

const el = {
  langSwitch: byId("lang-switch", HTMLButtonElement),
  key: byId("api-key", HTMLInputElement),
  keyForget: byId("key-forget", HTMLButtonElement),
  drop: byId("drop", HTMLLabelElement),
  file: byId("file", HTMLInputElement),
  urlForm: byId("url-form", HTMLFormElement),
  url: byId("url", HTMLInputElement),
  status: byId("status", HTMLParagraphElement),
  error: byId("error", HTMLParagraphElement),
  results: byId("results", HTMLDivElement),
  findingsTitle: byId("findings-title", HTMLHeadingElement),
  summary: byId("file-summary", HTMLParagraphElement),
  findings: byId("findings", HTMLDivElement),
  remove: byId("remove", HTMLButtonElement),
  removal: byId("removal", HTMLDivElement),
  groupNav: byId("group-nav", HTMLDivElement),
  filter: byId("filter", HTMLInputElement),
  filterCount: byId("filter-count", HTMLParagraphElement),
  groups: byId("groups", HTMLDivElement),
  warnings: byId("warnings", HTMLDetailsElement),
  warningsList: byId("warnings-list", HTMLUListElement),
};

/** What the page shows; re-rendered as a whole when the language changes. */
const state: { lang: Lang; source: Source | null; extraction: Extraction | null; removal: Removal | null } = {
  lang: initialLang(),
  source: null,
  extraction: null,
  removal: null,
};

const t: T = (key, params) => translate(state.lang, key, params);

function renderStatic(): void {
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll<HTMLElement>("[data-i18n]")) {
    node.textContent = t(node.dataset["i18n"] as MessageKey);
  }
  for (const node of document.querySelectorAll<HTMLInputElement>("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset["i18nPlaceholder"] as MessageKey);
  }
  // The switch is labelled in the language it switches to.
  el.langSwitch.lang = state.lang === "en" ? "fr" : "en";
}

function renderResults(): void {
  const x = state.extraction;
  el.results.hidden = x == null;
  if (x == null) return;
  el.summary.textContent = fileSummary(x, t, state.lang);
  el.findings.replaceChildren(findingsView(x, t, state.lang));
  const { nav, tables } = groupsView(x, t);
  el.groupNav.replaceChildren(nav);
  el.groups.replaceChildren(tables);
  el.warnings.hidden = x.warnings.length === 0;
  el.warningsList.replaceChildren(...x.warnings.map((w) => Object.assign(document.createElement("li"), { textContent: w })));
  renderFilter();
  el.removal.replaceChildren(...(state.removal == null ? [] : [removalView(state.removal, t, state.lang)]));
}

function renderFilter(): void {
  const { shown, total } = applyFilter(el.groups, el.filter.value, t);
  el.filterCount.textContent = shown === 0 && total > 0 ? t("noMatch") : t("filterCount", { shown, total });
}

function showError(err: unknown): void {
  let message: string;
  if (err instanceof ApiError) message = err.message;
  else if (err instanceof TransportError) message = t(err.reason);
  else message = t("unexpected");
  el.error.textContent = message;
  el.error.hidden = false;
}

/** Runs one API call with the page marked busy; the API's failure sentence is shown as is. */
async function busy<R>(statusKey: MessageKey, work: (key: string) => Promise<R>): Promise<R | null> {
  el.error.hidden = true;
  const key = el.key.value.trim();
  if (key === "") {
    showError(new ApiError(t("noKey")));
    el.key.focus();
    return null;
  }
  el.status.textContent = t(statusKey);
  document.body.setAttribute("aria-busy", "true");
  el.remove.disabled = true;
  try {
    return await work(key);
  } catch (err) {
    showError(err);
    return null;
  } finally {
    el.status.textContent = "";
    document.body.removeAttribute("aria-busy");
    el.remove.disabled = false;
  }
}

async function read(source: Source): Promise<void> {
  const extraction = await busy("reading", (key) => extract(source, key));
  if (extraction == null) return;
  Object.assign(state, { source, extraction, removal: null });
  el.filter.value = "";
  renderResults();
  el.findingsTitle.focus();
}

async function clean(): Promise<void> {
  const source = state.source;
  if (source == null) return;
  const keep = KEEP_CHOICES.filter((choice: KeepChoice) => document.querySelector<HTMLInputElement>(`#keep-${choice}`)?.checked === true);
  const removal = await busy("removing", (key) => remove(source, key, keep));
  if (removal == null) return;
  state.removal = removal;
  renderResults();
  // The download answer is an attachment: following the link saves the file and leaves the page.
  const link = document.createElement("a");
  link.href = removal.downloadUrl;
  link.download = removal.fileName;
  document.body.append(link);
  link.click();
  link.remove();
}

el.key.value = localStorage.getItem(KEY_STORAGE) ?? "";
el.key.addEventListener("input", () => {
  const key = el.key.value.trim();
  if (key === "") localStorage.removeItem(KEY_STORAGE);
  else localStorage.setItem(KEY_STORAGE, key);
});
el.keyForget.addEventListener("click", () => {
  localStorage.removeItem(KEY_STORAGE);
  el.key.value = "";
  el.key.focus();
});

el.file.addEventListener("change", () => {
  const file = el.file.files?.[0];
  // Cleared so that choosing the same file again reads it again.
  el.file.value = "";
  if (file != null) void read({ kind: "file", file });
});
el.drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  el.drop.classList.add("over");
});
el.drop.addEventListener("dragleave", () => el.drop.classList.remove("over"));
el.drop.addEventListener("drop", (event) => {
  event.preventDefault();
  el.drop.classList.remove("over");
  const file = event.dataTransfer?.files[0];
  if (file != null) void read({ kind: "file", file });
});
el.urlForm.addEventListener("submit", (event) => {
  event.preventDefault();
  void read({ kind: "url", url: el.url.value.trim() });
});
el.remove.addEventListener("click", () => void clean());
el.filter.addEventListener("input", renderFilter);
el.langSwitch.addEventListener("click", () => {
  state.lang = state.lang === "en" ? "fr" : "en";
  saveLang(state.lang);
  renderStatic();
  renderResults();
});

renderStatic();
