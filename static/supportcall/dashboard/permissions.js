// The banners that ask for sound (browsers keep audio silent until the page
// gets a click or key press) and for notifications.

import { showResult } from "./toast.js";

export function offerPermissions(ringer) {
  const soundBanner = document.getElementById("sound-banner");
  document.getElementById("sound-enable").addEventListener("click", async () => {
    await ringer.unlock();
    soundBanner.hidden = ringer.audible;
  });
  // Any click or key press on the page lets audio start.
  const unlock = async () => {
    await ringer.unlock();
    if (ringer.audible) soundBanner.hidden = true;
  };
  document.addEventListener("pointerdown", unlock, { capture: true });
  document.addEventListener("keydown", unlock, { capture: true });
  // resume() without a gesture stays pending (it does not fail): look a moment later.
  ringer.unlock();
  setTimeout(() => (soundBanner.hidden = ringer.audible), 500);

  const notifyBanner = document.getElementById("notify-banner");
  if ("Notification" in window && Notification.permission === "default") {
    notifyBanner.hidden = false;
    document.getElementById("notify-enable").addEventListener("click", async () => {
      const permission = await Notification.requestPermission();
      notifyBanner.hidden = true;
      const granted = permission === "granted";
      showResult(
        granted,
        granted
          ? gettext("Notifications are on.")
          : gettext("Notifications stay off; you can allow them in the browser's site settings."),
      );
    });
  }
}
