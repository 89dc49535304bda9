// What the widget says to the visitor, in the visitor's language.
//
// Every visitor-facing string is in one catalogue per language, lang/<code>.json
// (English is the reference: tests/test_catalogues.py checks that every other
// catalogue has exactly its keys and placeholders). `loadWords` picks and loads
// one before the widget is drawn; `t(key, {name: value})` fills in its {name}s.

import { Reason } from "../phone.js";

/** The languages shipped, lang/<code>.json each; the first is the fallback. */
export const LANGUAGES = Object.freeze(["en", "de", "fr", "es", "ar"]);
/** The shipped languages written right to left. */
export const RTL = Object.freeze(["ar"]);

let english = {};
let words = {};
let language = "en";

/** The shipped language `tag` ("de-AT", "DE", "de") is in, or null. */
export function shippedLanguage(tag) {
  const base = String(tag || "").trim().toLowerCase().split(/[-_]/)[0];
  return LANGUAGES.includes(base) ? base : null;
}

/** The first of `tags` (most wanted first; falsy ones skipped) that is shipped, else English. */
export function chooseLanguage(tags) {
  for (const tag of tags) {
    const shipped = shippedLanguage(tag);
    if (shipped) return shipped;
  }
  return LANGUAGES[0];
}

async function fetchCatalogue(code) {
  const response = await fetch(new URL(`lang/${code}.json`, import.meta.url).href, { credentials: "omit" });
  if (!response.ok) throw new Error(`lang/${code}.json: HTTP ${response.status}`);
  return response.json();
}

/** Load the catalogue of `code` (and English, for any key it lacked). */
export async function loadWords(code) {
  english = await fetchCatalogue(LANGUAGES[0]);
  language = LANGUAGES[0];
  words = english;
  if (code && code !== LANGUAGES[0]) {
    try {
      words = await fetchCatalogue(code);
      language = code;
    } catch (error) {
      console.error(`supportcall: the ${code} words could not be loaded; English it is`, error);
    }
  }
  return language;
}

/** The language the widget speaks ("en", "de", ...). */
export function currentLanguage() {
  return language;
}

/** "rtl" or "ltr": how the current language is written. */
export function direction() {
  return RTL.includes(language) ? "rtl" : "ltr";
}

/** The words of `key` in the current language, its {name}s replaced by `values`. */
export function t(key, values = {}) {
  const text = words[key] ?? english[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in values ? String(values[name]) : match));
}

/** Whether the catalogue has words for `key` (an end reason, an error code). */
export function has(key) {
  return key in english;
}

/** The status line for a State or Phase. */
export function statusWords(state) {
  return has(`status.${state}`) ? t(`status.${state}`) : state;
}

// End reasons that are a failure for the visitor: explained, with what to do.
export const ADVICE = Object.freeze([
  Reason.NO_AGENTS, Reason.NO_ANSWER, Reason.REJECTED, Reason.CONNECTION_LOST, Reason.MEDIA_FAILED, Reason.ERROR,
]);

/** What an end reason or error code means, in words (phone.js's EXPLAIN, translated). */
export function explain(code) {
  return code && has(`explain.${code}`) ? t(`explain.${code}`) : "";
}

/** An email address a person could have meant: something@something.something, no spaces. */
export function looksLikeEmail(text) {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text);
}

/** "Paris time" for Europe/Paris, "UTC" for UTC (in the current language): the zone a queue's hours are kept in. */
export function zoneName(timeZone) {
  if (!timeZone || /^(UTC|Etc\/UTC|GMT)$/.test(timeZone)) return t("time.utc");
  const city = timeZone.split("/").pop().replace(/_/g, " ");
  return t("time.zone", { city });
}

/**
 * When a closed line opens, for the visitor: "tomorrow 9:00 AM (Paris time)", "Monday
 * 9:00 AM (Paris time)", "morgen 09:00 (Ortszeit Paris)", in the visitor's language, at
 * the queue's own time (its hours are kept there) with the zone named. `nextOpen` is
 * ISO 8601 with an offset.
 */
export function openingWords(nextOpen, timeZone, now = new Date(), locale = currentLanguage()) {
  const at = new Date(nextOpen);
  if (Number.isNaN(at.getTime())) return "";
  let zone = timeZone || "UTC";
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
  } catch {
    zone = "UTC";
  }
  const day = (d) => new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(d);
  const days = Math.round((Date.parse(day(at)) - Date.parse(day(now))) / 86400000);
  const time = new Intl.DateTimeFormat(locale, { timeZone: zone, hour: "numeric", minute: "2-digit" }).format(at);
  let when;
  if (days === 0 || days === 1) {
    // "today", "tomorrow", "heute", "demain", "mañana", "غدًا"
    const relative = new Intl.RelativeTimeFormat(locale, { numeric: "auto" }).format(days, "day");
    when = t("time.dayAt", { day: relative, time });
  } else if (days < 7) {
    const weekday = new Intl.DateTimeFormat(locale, { timeZone: zone, weekday: "long" }).format(at);
    when = t("time.dayAt", { day: weekday, time });
  } else {
    when = new Intl.DateTimeFormat(locale, { timeZone: zone, dateStyle: "medium", timeStyle: "short" }).format(at);
  }
  return t("time.opening", { when, zone: zoneName(zone) });
}

/**
 * "01:05", "1:02:03": a call's duration from milliseconds, in the digits of `locale`
 * (Arabic's are Arabic-Indic, "٠١:٠٥", where Intl writes them so).
 */
export function clock(ms, locale = currentLanguage()) {
  const digits = new Intl.NumberFormat(locale, { useGrouping: false });
  const two = new Intl.NumberFormat(locale, { useGrouping: false, minimumIntegerDigits: 2 });
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const mmss = `${two.format(Math.floor(s / 60) % 60)}:${two.format(s % 60)}`;
  return h ? `${digits.format(h)}:${mmss}` : mmss;
}

/** "about 2 min", "under a minute", "etwa 2 Min.": a wait, in the current language. */
export function waitWords(seconds, locale = currentLanguage()) {
  if (seconds < 60) return t("wait.underMinute");
  const minutes = Math.round(seconds / 60);
  const duration = new Intl.NumberFormat(locale, { style: "unit", unit: "minute", unitDisplay: "short" }).format(minutes);
  return t("wait.about", { duration });
}

/**
 * Why getUserMedia failed, and how to fix it, in plain words. `devices` is "mic",
 * "both" (camera and microphone) or "camera".
 */
export function explainMedia(error, devices) {
  const which = devices.charAt(0).toUpperCase() + devices.slice(1);
  switch (error && error.name) {
    case "NotAllowedError":
    case "SecurityError":
      return t(`media.blocked${which}`);
    case "NotFoundError":
    case "OverconstrainedError":
      return t(`media.missing${which}`);
    case "NotReadableError":
    case "AbortError":
      return t(`media.busy${which}`);
    default:
      return t(`media.failed${which}`, { message: (error && error.message) || t("media.unknownError") });
  }
}

export function escapeHTML(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
