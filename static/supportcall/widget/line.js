// The support line's status before anyone logs in: open, accepting calls,
// agents free, the wait (GET /api/v1/sites/<site>/status), and whether the
// site and the line the tag names exist at all.

import { ErrorCode, siteStatus } from "../phone.js";
import { openingWords, t } from "./words.js";

/**
 * The status of the line this widget calls (its data-queue, or the site's first);
 * `{unknown: "site"}` or `{unknown: "line"}` when the tag names nothing that exists;
 * null if it could not be asked (calling will tell).
 */
export async function fetchLine({ server, site, queue }) {
  try {
    const status = await siteStatus(server, site, { line: queue });
    if (queue) return status.line || { unknown: "line" };
    return status.queues[0] || { unknown: "line" };
  } catch (error) {
    if (error.code === ErrorCode.NOT_FOUND) return { unknown: "site" };
    return null;
  }
}

/** "unknown_site", "unknown_line", "closed", "unavailable" (nobody could answer), or null when a call can be placed. */
export function lineBlocked(line) {
  if (!line) return null;
  if (line.unknown === "site") return "unknown_site";
  if (line.unknown === "line") return "unknown_line";
  if (!line.open) return "closed";
  if (!line.accepting) return "unavailable";
  return null;
}

/** When a closed line opens, for the visitor, with the queue's time zone named. */
export function openingText(line) {
  if (line.next_open) return openingWords(line.next_open, line.timezone) || line.next_open_text;
  return line.next_open_text;
}

/** The line's state in a few words, for the panel's status. */
export function lineWords(line) {
  switch (lineBlocked(line)) {
    case "closed": {
      const when = openingText(line);
      return when ? t("line.closedStatus", { when }) : `${t("line.closed")}.`;
    }
    case "unavailable": return t("line.unavailable");
    case "unknown_site": return t("line.unknownSite");
    case "unknown_line": return t("line.unknownLine");
    default: return "";
  }
}

/** The launcher's words when no call is under way. */
export function launcherWords(line, buttonText) {
  switch (lineBlocked(line)) {
    case "closed": {
      const when = openingText(line);
      return when ? t("line.closedLauncher", { when }) : t("line.closed");
    }
    case "unavailable": return t("line.launcherUnavailable", { text: buttonText });
    case "unknown_site":
    case "unknown_line": return t("line.launcherUnknown", { text: buttonText });
    default: return buttonText;
  }
}
