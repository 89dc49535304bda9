// supportcall's embeddable "Call support" widget. A site owner pastes one tag:
//
//   <script src="https://SERVER/static/supportcall/widget.js" data-site="demo" async></script>
//
// Optional attributes: data-queue (a queue name or full address), data-button-text,
// data-media ("choose" (default), "audio", "video", "audio_single"),
// data-display-name, data-context-<key>="value" (shown to the agent, with the
// page URL always sent as context "page"), data-color (the accent colour),
// data-server (only when the script is not served by the call server itself),
// data-lang (the visitor's language: "de", "fr-CA"...; else the page's <html lang>,
// the browser's, the site's default; its words are in widget/lang/<code>.json).
//
// This file is only the loader: a classic script, so that it works in any page
// and knows its own <script> element (document.currentScript, which module
// scripts do not have). It imports the widget's ES modules (widget/main.js,
// which imports phone.js) from the same server, and hands them the tag.
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script || !window.customElements || customElements.get("supportcall-widget")) return;
  import(new URL("widget/main.js", script.src).href)
    .then((widget) => widget.mount(script))
    .catch((error) => console.error("supportcall: the widget could not be loaded", error));
})();
