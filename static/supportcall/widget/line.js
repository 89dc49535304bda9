// The support line's status before anyone logs in: open, accepting calls,
// agents free, the wait (GET /api/v1/sites/<site>/status).

import { siteStatus } from "../phone.js";

/** The status of the line this widget calls (its data-queue, or the site's first), or null if unknown. */
export async function fetchLine({ server, site, queue }) {
  try {
    const status = await siteStatus(server, site);
    return status.queues.find((q) => queue && (q.name === queue || q.address === queue)) || status.queues[0] || null;
  } catch {
    return null; // unknown: calling will tell
  }
}

/** "closed", "unavailable" (nobody online), or null when a call can be placed. */
export function lineBlocked(line) {
  if (!line) return null;
  if (!line.open) return "closed";
  if (!line.accepting) return "unavailable";
  return null;
}

/** The line's state in a few words, for the launcher and the status. */
export function lineWords(line) {
  const blocked = lineBlocked(line);
  if (blocked === "closed") {
    return line.next_open_text ? `Closed — open ${line.next_open_text}` : "Closed";
  }
  if (blocked === "unavailable") return "No agent is available right now.";
  return "";
}
