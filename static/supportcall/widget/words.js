// What the widget says to the visitor, in plain words.

import { Reason, State } from "../phone.js";
import { Phase } from "./states.js";

export const STATUS = Object.freeze({
  [Phase.IDLE]: "How would you like to talk?",
  [Phase.CONNECTING]: "Connecting…",
  [State.INITIATED]: "Waiting for an agent…",
  [State.QUEUED]: "Waiting in line for an agent…",
  [State.RINGING]: "Ringing… an agent will answer shortly.",
  [State.IN_CALL]: "In call",
  [State.ON_HOLD]: "You put the call on hold",
  [State.REMOTELY_HELD]: "The agent put you on hold",
  [State.ON_DOUBLE_HOLD]: "On hold: you and the agent both put the call on hold",
  [State.ENDED]: "Call ended",
  [Phase.ERROR]: "The call could not start",
});

// End reasons that are a failure for the visitor: explained, with what to do.
export const ADVICE = Object.freeze({
  [Reason.NO_AGENTS]: "Please try again in a few minutes.",
  [Reason.NO_ANSWER]: "Please try again in a few minutes.",
  [Reason.REJECTED]: "The agent could not take your call. Please try again later.",
  [Reason.CONNECTION_LOST]: "Check your internet connection and call again.",
  [Reason.ERROR]: "Please try again.",
});

export const NOT_ENABLED =
  "Calls are not enabled on this page. The site's owner has not allowed support calls from this address.";
export const UNREACHABLE = "The support server could not be reached. Check your connection and try again.";
// Why a call could not start, by what refused it (see calling.js, explainFailure).
export const LOGIN_EXPIRED = "The call's login expired before it could be used. Please call again.";
export const SERVICE_TROUBLE = "The support service is having trouble right now. Please try again in a few minutes.";
// A call lost while this browser is online: the service's trouble, not the visitor's network.
export const CUT_OFF_BY_SERVICE =
  "The support service is having trouble, so the call was cut off. Please call again in a few minutes.";
export const UNKNOWN_SITE =
  "This support line is not set up: the site named on this page is unknown. Please tell the site's owner.";
export const UNKNOWN_LINE = "This support line does not exist. Please tell the site's owner.";

// The line as the launcher and the panel's status say it (see line.js).
export const LINE = Object.freeze({
  closed: "Closed",
  unavailable: "No agent is available right now.",
  unknownSite: "Support is not set up on this page.",
  unknownLine: "This support line does not exist.",
  launcherUnavailable: (text) => `${text} (no agent available)`,
  launcherUnknown: (text) => `${text} (unavailable)`,
  launcherWait: (text, wait) => `${text} (${wait} wait)`,
  closedLauncher: (when) => `Closed — open ${when}`,
  closedStatus: (when) => `We are closed now. We open ${when}.`,
});

// The intro under the header, as honest as the line's status.
export const INTRO = Object.freeze({
  free: "Talk to a person from our support team now, by voice or video. No app or account needed.",
  busy: "All our agents are on other calls. Call and wait in line, by voice or video.",
  waitAnyway: "Nobody can answer right now. You can call and wait in line until an agent is back.",
  blocked: "Leave your details and we will get back to you.",
});

// The header's subtitle.
export const SUBTITLE = Object.freeze({
  idle: "Talk to us in your browser",
  connecting: "Connecting you to an agent",
  connected: "Connected",
  reconnecting: "Reconnecting…",
});

// The launcher during a call: what it says is its whole accessible name.
export const LAUNCHER = Object.freeze({
  calling: "Calling…",
  inCall: (time) => `In call ${time}`,
  onHold: "On hold",
});

// The call controls: what each shows, and its accessible name, which contains it.
export const CONTROL = Object.freeze({
  mute: { label: "Mute", name: "Mute microphone" },
  unmute: { label: "Unmute", name: "Unmute microphone" },
  camera: { label: "Camera", name: "Camera" },
  hold: { label: "Hold", name: "Hold" },
  resume: { label: "Resume", name: "Resume" },
  hangUp: { label: "Hang up", name: "Hang up" },
  cancel: { label: "Cancel", name: "Cancel the call" },
});

// The callback form's problems, in plain words.
export const CALLBACK = Object.freeze({
  noName: "Please give your name.",
  noContact: "Please give a phone number or an email address.",
  badEmail: "That email address does not look right. Please check it (for example ada@example.com).",
  badRequest: "Some of the details could not be used. Please check them and send again.",
  failed: "The request could not be sent. Please try again.",
  thanks: (name, how) => `Thank you, ${name}. We will get back to you at ${how}.`,
});

/** An email address a person could have meant: something@something.something, no spaces. */
export function looksLikeEmail(text) {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(text);
}

/** "Paris time" for Europe/Paris, "UTC" for UTC: the zone a queue's hours are kept in. */
export function zoneName(timeZone) {
  if (!timeZone || /^(UTC|Etc\/UTC|GMT)$/.test(timeZone)) return "UTC";
  const city = timeZone.split("/").pop().replace(/_/g, " ");
  return `${city} time`;
}

/**
 * When a closed line opens, for the visitor: "tomorrow 9:00 AM (Paris time)", "Monday
 * 9:00 AM (Paris time)", in the visitor's language, at the queue's own time (its hours
 * are kept there) with the zone named. `nextOpen` is ISO 8601 with an offset.
 */
export function openingWords(nextOpen, timeZone, now = new Date(), locale = undefined) {
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
  if (days === 0) when = `today ${time}`;
  else if (days === 1) when = `tomorrow ${time}`;
  else if (days < 7) when = `${new Intl.DateTimeFormat(locale, { timeZone: zone, weekday: "long" }).format(at)} ${time}`;
  else when = new Intl.DateTimeFormat(locale, { timeZone: zone, dateStyle: "medium", timeStyle: "short" }).format(at);
  return `${when} (${zoneName(zone)})`;
}

const pad = (n) => String(n).padStart(2, "0");

/** "01:05", "1:02:03": a call's duration from milliseconds. */
export function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  return h ? `${h}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}` : `${pad(Math.floor(s / 60))}:${pad(s % 60)}`;
}

/** "about 2 min", "under a minute" */
export function waitWords(seconds) {
  if (seconds < 60) return "under a minute";
  const minutes = Math.round(seconds / 60);
  return `about ${minutes} min`;
}

/** Why getUserMedia failed, and how to fix it, in plain words. */
export function explainMedia(error, video) {
  const device = video ? "camera and microphone" : "microphone";
  switch (error && error.name) {
    case "NotAllowedError":
    case "SecurityError":
      return (
        `Your browser blocked the ${device}. To allow ${video ? "them" : "it"}, click the icon at the left ` +
        `of the address bar, set the ${device} to Allow for this site, then call again.`
      );
    case "NotFoundError":
    case "OverconstrainedError":
      return video
        ? "No camera or microphone was found. Connect one, or choose a voice call."
        : "No microphone was found. Connect one and call again.";
    case "NotReadableError":
    case "AbortError":
      return `Your ${device} is being used by another application. Close it and call again.`;
    default:
      return `Your ${device} could not be started (${(error && error.message) || "unknown error"}).`;
  }
}

export function escapeHTML(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
