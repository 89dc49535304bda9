// What the dashboard says to the agent, in a few words.

import { EXPLAIN, Media, Op, Reason, State } from "../phone.js";
import { config } from "./page.js";

export const MEDIA_LABEL = Object.freeze({
  [Media.VIDEO]: "Video call",
  [Media.AUDIO]: "Audio call",
  [Media.AUDIO_SINGLE]: "Audio only",
});

export const STATE_LABEL = Object.freeze({
  [State.RINGING]: "Ringing",
  [State.IN_CALL]: "In call",
  [State.ON_HOLD]: "On hold",
  [State.REMOTELY_HELD]: "Caller has you on hold",
  [State.ON_DOUBLE_HOLD]: "On hold (both sides)",
  [State.ENDED]: "Ended",
});

export const OP_LABEL = Object.freeze({
  [Op.ACCEPT]: "Accept",
  [Op.REJECT]: "Decline",
  [Op.IGNORE]: "Ignore",
  [Op.FORWARD]: "Forward",
  [Op.END]: "Hang up",
  [Op.HOLD]: "Hold",
  [Op.UNHOLD]: "Resume",
  [Op.MUTE]: "Mute",
  [Op.UNMUTE]: "Unmute",
  [Op.VIDEO_START]: "Start video",
  [Op.VIDEO_STOP]: "Stop video",
});

export const OP_DONE = Object.freeze({
  [Op.ACCEPT]: "Call accepted.",
  [Op.REJECT]: "Call declined.",
  [Op.IGNORE]: "Call ignored; it keeps ringing for other agents.",
  [Op.FORWARD]: "Call forwarded.",
  [Op.END]: "Call ended.",
  [Op.HOLD]: "The call is on hold.",
  [Op.UNHOLD]: "The call is resumed.",
  [Op.MUTE]: "Your microphone is muted.",
  [Op.UNMUTE]: "Your microphone is on.",
  [Op.VIDEO_START]: "Your camera is on.",
  [Op.VIDEO_STOP]: "Your camera is off.",
});

// How a call in the history went for this agent (its state, or its end reason).
export const OUTCOME_LABEL = Object.freeze({
  [State.RINGING]: "Ringing",
  [State.IN_CALL]: "In progress",
  [Reason.ENDED_BY_LOCAL]: "You hung up",
  [Reason.ENDED_BY_REMOTE]: "Caller hung up",
  [Reason.REJECTED]: "Declined",
  [Reason.IGNORED]: "Ignored",
  [Reason.NO_ANSWER]: "Missed",
  [Reason.ANSWERED_ELSEWHERE]: "Answered elsewhere",
  [Reason.CANCELLED]: "Missed",
  [Reason.FORWARDED]: "Forwarded",
  [Reason.CONNECTION_LOST]: "Connection lost",
  [Reason.MEDIA_FAILED]: "Network blocked",
  [Reason.NO_AGENTS]: "No agents",
  [Reason.ERROR]: "Failed",
});

export const OUTCOME_TONE = Object.freeze({
  [State.IN_CALL]: "live",
  [State.RINGING]: "live",
  [Reason.ENDED_BY_LOCAL]: "ok",
  [Reason.ENDED_BY_REMOTE]: "ok",
  [Reason.REJECTED]: "bad",
  [Reason.NO_ANSWER]: "bad",
  [Reason.CANCELLED]: "bad",
  [Reason.CONNECTION_LOST]: "bad",
  [Reason.MEDIA_FAILED]: "bad",
  [Reason.ERROR]: "bad",
});

// Why a call ended, told to the agent where the caller's words would mislead.
const AGENT_EXPLAIN = Object.freeze({
  [Reason.MEDIA_FAILED]:
    "The network blocks the call: no audio could get through between you and the caller, not even through the relay.",
});

/** The sentence on a call that ended with `reason`. */
export function endedWords(reason) {
  return AGENT_EXPLAIN[reason] || EXPLAIN[reason] || "The call ended.";
}

/** "support" for "support@<our domain>": the domain is the same everywhere here. */
export function shortAddress(address) {
  const domain = config.identity.split("@")[1];
  return address?.endsWith(`@${domain}`) ? address.slice(0, -domain.length - 1) : address || "—";
}

export function callerName(from) {
  return from?.display_name?.trim() || "Anonymous visitor";
}

export function initials(from) {
  const name = from?.display_name?.trim();
  if (!name) return "?";
  const parts = name.split(/\s+/);
  return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
}

/** "0:07", "12:30", "1:02:03" */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

/** An error code (or end reason) as a sentence, with the server's message if it says more. */
export function explain(code, message) {
  const sentence = EXPLAIN[code] || code || "It failed.";
  return message && message !== sentence ? `${sentence} (${message})` : sentence;
}

/** "14:05" today, "Mar 3, 14:05" before. */
export function when(iso) {
  const date = new Date(iso);
  const time = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return date.toDateString() === new Date().toDateString()
    ? time
    : `${date.toLocaleDateString([], { month: "short", day: "numeric" })}, ${time}`;
}
