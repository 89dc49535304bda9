// The widget's entry module. The loader (../widget.js, the classic script a
// site embeds) imports it and calls mount() with its own <script> element.

import { readConfig } from "./config.js";
import { SupportcallWidget, TAG } from "./element.js";

/** Define <supportcall-widget> with the settings of `script`, and put one on the page. */
export function mount(script) {
  // A page that embeds the tag twice gets one widget, with the first tag's settings.
  if (customElements.get(TAG)) return;
  const config = readConfig(script);
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
