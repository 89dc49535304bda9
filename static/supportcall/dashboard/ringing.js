// While any call rings: the ringtone, a flashing title, and a notification
// when the tab is in the background. `body[data-ringing]` says whether the
// ringtone plays (for styles, integrations and tests).

import { Ringer } from "./ringer.js";
import { MEDIA_LABEL, callerName, say } from "./words.js";

const TITLE_FLASH_MS = 900;

export function ring(desk) {
  const ringer = new Ringer();
  const baseTitle = document.title;
  let titleTimer = null;

  const update = () => {
    const ringing = desk.ringing();
    if (ringing.length) {
      ringer.start();
      if (!titleTimer) {
        let on = false;
        titleTimer = setInterval(() => {
          const now = desk.ringing();
          on = !on;
          document.title =
            on && now.length
              ? now.length > 1
                ? `📞 ${now.length} calls ringing`
                : `📞 ${callerName(now[0].call.from)} is calling`
              : baseTitle;
        }, TITLE_FLASH_MS);
      }
      document.getElementById("sound-banner").hidden = ringer.audible;
    } else {
      ringer.stop();
      clearInterval(titleTimer);
      titleTimer = null;
      document.title = baseTitle;
    }
    document.body.dataset.ringing = String(ringer.active);
  };
  desk.addEventListener("change", update);
  desk.addEventListener("call", (e) => notify(e.detail.entry));
  update();
  return ringer;
}

function notify(entry) {
  const { call } = entry;
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  if (document.visibilityState === "visible" && document.hasFocus()) return;
  try {
    const n = new Notification(say(gettext("%(name)s is calling"), { name: callerName(call.from) }), {
      body: `${MEDIA_LABEL[call.media] || call.media} · ${call.to}`,
      tag: `supportcall-${call.id}`,
      requireInteraction: true,
    });
    n.onclick = () => {
      window.focus();
      entry.card?.querySelector("[data-testid=accept-audio]")?.focus();
      n.close();
    };
    entry.notification = n;
  } catch {
    // Some browsers only allow notifications from a service worker; the title still flashes.
  }
}
