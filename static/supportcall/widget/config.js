// The widget's settings, from the data-attributes of the <script> tag that
// embeds it (README, "Put the button on a site").

import { Media } from "../phone.js";

// data-media="choose" lets the visitor pick voice or video; the others fix the media.
export const CHOOSE = "choose";
const MEDIA_CHOICES = [CHOOSE, ...Object.values(Media)];

/** The settings of the widget embedded by `script`. */
export function readConfig(script) {
  const data = script.dataset;
  const context = {};
  for (const attr of script.attributes) {
    // Attribute names are lowercase: data-context-order-id gives "order-id".
    if (attr.name.startsWith("data-context-") && attr.name.length > 13 && Object.keys(context).length < 19) {
      context[attr.name.slice(13, 13 + 64)] = attr.value.slice(0, 500);
    }
  }
  context.page = location.href.slice(0, 500);
  return {
    // The server root: the script lives at <root>/static/supportcall/widget.js.
    server: (data.server || new URL("../../", script.src).href).replace(/\/+$/, ""),
    site: data.site || "",
    queue: (data.queue || "").trim(),
    // The launcher's text when the tag gives none: words.js "button.default", in the visitor's language.
    buttonText: data.buttonText || "",
    // The language the tag asks for (README, "The widget in the visitor's language").
    lang: (data.lang || "").trim(),
    media: MEDIA_CHOICES.includes(data.media) ? data.media : CHOOSE,
    displayName: (data.displayName || "").slice(0, 100),
    context,
    // Verified visitors (README): a token the site's backend signed, or a URL of the
    // site's that hands out a fresh one (fetched with the page's cookies) before each call.
    identity: (data.identity || "").trim(),
    identityUrl: (data.identityUrl || "").trim(),
    color: data.color || "",
  };
}
