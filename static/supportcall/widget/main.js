// The widget's entry module. The loader (../widget.js, the classic script a
// site embeds) imports it and calls mount() with its own <script> element.

import { siteStatus } from "../phone.js";
import { readConfig } from "./config.js";
import { SupportcallWidget, TAG } from "./element.js";
import { LANGUAGES, loadWords, shippedLanguage } from "./words.js";

/**
 * The language the widget speaks: the tag's data-lang, else the page's <html lang>,
 * else the browser's (navigator.languages, in order), else the site's default
 * (its status's default_language, set in the admin), else English. A regional tag
 * ("de-AT") counts as its language ("de"); a language not shipped is skipped.
 */
export async function chooseWidgetLanguage(config) {
  const wanted = [config.lang, document.documentElement.lang, ...(navigator.languages || [navigator.language])];
  for (const tag of wanted) {
    const shipped = shippedLanguage(tag);
    if (shipped) return shipped;
  }
  try {
    const status = await siteStatus(config.server, config.site);
    return shippedLanguage(status.default_language) || LANGUAGES[0];
  } catch {
    return LANGUAGES[0];
  }
}

let mounting = false;

/** Define <supportcall-widget> with the settings of `script`, in its language, and put one on the page. */
export async function mount(script) {
  // A page that embeds the tag twice gets one widget, with the first tag's settings.
  if (mounting || customElements.get(TAG)) return;
  mounting = true;
  const config = readConfig(script);
  // The words come before the widget is drawn: it never shows one language, then another.
  config.language = await loadWords(await chooseWidgetLanguage(config));
  customElements.define(
    TAG,
    class extends SupportcallWidget {
      constructor() {
        super(config);
      }
    },
  );

  // Leaving the page hangs up properly, so the agent hears "ended", not "connection lost".
  window.addEventListener("pagehide", () => {
    const call = document.querySelector(TAG)?.call;
    if (call && call.id && !call.ended) call.end().catch(() => {});
  });

  const add = () => {
    if (!document.querySelector(TAG)) document.body.append(document.createElement(TAG));
  };
  if (document.body) add();
  else document.addEventListener("DOMContentLoaded", add, { once: true });
}
