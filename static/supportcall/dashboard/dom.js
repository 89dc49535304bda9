// Building the page's elements.

import { Media } from "../phone.js";
import { CHECK_SAYS, MEDIA_LABEL } from "./words.js";

/** Build an element: h("button", {class: "btn", onclick}, "Text", child...). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : value);
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** One of the page's icons (templates/agent/_icons.html). */
export function icon(name, extra = "") {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", `icon ${extra}`.trim());
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}

export const CONTEXT_LABEL = gettext("What the visitor's page told us");

/** The caller's context as a definition list; page URLs become links. */
export function contextList(context) {
  const attrs = { "data-testid": "context", "aria-label": CONTEXT_LABEL };
  const entries = Object.entries(context || {});
  if (!entries.length) {
    return h("p", { class: "context context-empty muted", ...attrs }, gettext("No details from the visitor's page."));
  }
  return h(
    "dl",
    { class: "context", ...attrs },
    entries.map(([key, value]) => {
      let shown = value;
      if (/^https?:\/\//i.test(value)) {
        shown = h("a", { href: value, target: "_blank", rel: "noopener noreferrer" }, value);
      }
      return h("div", { class: "context-row" }, h("dt", {}, key), h("dd", {}, shown));
    }),
  );
}

/**
 * What is known of the caller: for a verified visitor, the fields its site's backend
 * signed under a "Verified" badge, then, captioned as the page's, the unsigned context;
 * for any other, the context alone.
 */
export function callerDetails(from) {
  const identity = identityDetails(from);
  const check = from?.check;
  if (!check) return identity;
  // The caller's check before the call (docs/protocol.md): its verdict in plain words.
  const facts = [
    check.candidate_type ? interpolate(gettext("path: %s"), [check.candidate_type]) : "",
    check.rtt_ms !== null && check.rtt_ms !== undefined
      ? interpolate(gettext("round trip %s ms"), [Math.round(check.rtt_ms)]) : "",
    check.loss_pct !== null && check.loss_pct !== undefined
      ? interpolate(gettext("loss %s"), [`${check.loss_pct} %`]) : "",
  ].filter(Boolean).join(" · ");
  return h(
    "div",
    {},
    h(
      "p",
      { class: `caller-check check-${check.verdict}`, "data-testid": "caller-check", "data-verdict": check.verdict },
      h("span", { class: "muted" }, gettext("Caller's check:")), " ",
      h("strong", {}, CHECK_SAYS[check.verdict] || check.verdict),
      facts ? h("span", { class: "muted" }, ` (${facts})`) : null,
    ),
    identity,
  );
}

function identityDetails(from) {
  const context = contextList(from?.context);
  const verified = from?.verified;
  if (!verified) return context;
  const rows = [
    [gettext("Name"), verified.name],
    [gettext("Email"), verified.email],
    [gettext("Customer ID"), verified.sub],
    ...Object.entries(verified.attributes || {}),
  ].filter(([, value]) => value);
  return h(
    "div",
    { class: "caller-details" },
    h(
      "section",
      { class: "verified", "data-testid": "verified", "aria-label": gettext("Verified by the site") },
      h(
        "p",
        { class: "verified-head" },
        h("span", { class: "verified-badge", "data-testid": "verified-badge" }, gettext("Verified")),
        h("span", { class: "muted" }, gettext("signed by the site, not by the page")),
      ),
      h(
        "dl",
        { class: "verified-fields" },
        rows.map(([key, value]) => h("div", { class: "context-row" }, h("dt", {}, key), h("dd", {}, value))),
      ),
    ),
    h("p", { class: "context-caption muted" }, gettext("Given by the page (not verified)")),
    context,
  );
}

/** The call's media, as a chip. */
export function mediaChip(call, withIcon) {
  return h(
    "span",
    { class: `chip chip-${call.media}`, "data-testid": "media", "data-media": call.media },
    withIcon ? icon(call.media === Media.VIDEO ? "video" : "phone") : null,
    MEDIA_LABEL[call.media] || call.media,
  );
}

/** The address the visitor called (a queue, or this agent), as a chip. */
export function queueChip(call) {
  const attrs = { class: "chip", "data-testid": "queue", title: gettext("The address the visitor called") };
  return h("span", attrs, call.to || "—");
}
