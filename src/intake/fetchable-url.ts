/** Longest URL accepted, in characters (issue 5; the de facto limit of browsers and CDNs). */
export const MAX_URL_LENGTH = 2048;

export type FetchableUrl = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * Checks the form of a URL the service is asked to fetch, before any connection: well-formed,
 * `http` or `https`, no user name or password, at most {@link MAX_URL_LENGTH} characters.
 * `base` resolves a relative redirect target (RFC 9110 §10.2.2). Whether the host may be
 * connected to is decided later, at connect time, by the address policy.
 */
export function parseFetchableUrl(raw: string, base?: URL): FetchableUrl {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, reason: `the URL is longer than ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch (err) {
    if (err instanceof TypeError) return { ok: false, reason: "the URL is not valid" };
    throw err;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { ok: false, reason: "only http and https URLs can be fetched" };
  }
  // Credentials would be sent to whatever the URL names, and logged along the way.
  if (url.username !== "" || url.password !== "") {
    return { ok: false, reason: "the URL must not contain a user name or password" };
  }
  // A relative redirect target grows once resolved against the current URL.
  if (url.href.length > MAX_URL_LENGTH) return { ok: false, reason: `the URL is longer than ${MAX_URL_LENGTH} characters` };
  return { ok: true, url };
}
