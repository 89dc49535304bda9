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
