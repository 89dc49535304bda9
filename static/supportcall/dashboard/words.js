// What the dashboard says to the agent, in a few words, in the agent's language:
// gettext, ngettext and interpolate are the globals of Django's JavaScript catalogue
// (/agent/jsi18n/, loaded before this module; makemessages -d djangojs finds them).

import { EXPLAIN, ErrorCode, Media, NETWORK_ERROR, Op, Reason, State } from "../phone.js";
import { config } from "./page.js";

export const MEDIA_LABEL = Object.freeze({
  [Media.VIDEO]: gettext("Video call"),
  [Media.AUDIO]: gettext("Audio call"),
  [Media.AUDIO_SINGLE]: gettext("Audio only"),
});

/** A caller's check before the call, as the agent reads it (precall/verdict.py's words). */
export const CHECK_SAYS = Object.freeze({
  good: gettext("Good to go"),
  poor: gettext("The connection works, but the sound may be poor"),
  relay_only: gettext("Their network only works through our relay"),
  blocked: gettext("We could not reach them: their network blocks calls"),
});

export const STATE_LABEL = Object.freeze({
  [State.INITIATED]: gettext("Calling…"), // a call placed here (a consult), not ringing yet
  [State.RINGING]: gettext("Ringing"),
  [State.IN_CALL]: gettext("In call"),
  [State.ON_HOLD]: gettext("On hold"),
  [State.REMOTELY_HELD]: gettext("Caller has you on hold"),
  [State.ON_DOUBLE_HOLD]: gettext("On hold (both sides)"),
  [State.ENDED]: gettext("Ended"),
});

export const OP_LABEL = Object.freeze({
  [Op.ACCEPT]: gettext("Accept"),
  [Op.REJECT]: gettext("Decline"),
  [Op.IGNORE]: gettext("Ignore"),
  [Op.FORWARD]: gettext("Forward"),
  [Op.END]: gettext("Hang up"),
  [Op.HOLD]: gettext("Hold"),
  [Op.UNHOLD]: gettext("Resume"),
  [Op.MUTE]: gettext("Mute"),
  [Op.UNMUTE]: gettext("Unmute"),
  [Op.VIDEO_START]: gettext("Start video"),
  [Op.VIDEO_STOP]: gettext("Stop video"),
});

export const OP_DONE = Object.freeze({
  [Op.ACCEPT]: gettext("Call accepted."),
  [Op.REJECT]: gettext("Call declined."),
  [Op.IGNORE]: gettext("Call ignored; it keeps ringing for other agents."),
  [Op.FORWARD]: gettext("Call forwarded."),
  [Op.END]: gettext("Call ended."),
  [Op.HOLD]: gettext("The call is on hold."),
  [Op.UNHOLD]: gettext("The call is resumed."),
  [Op.MUTE]: gettext("Your microphone is muted."),
  [Op.UNMUTE]: gettext("Your microphone is on."),
  [Op.VIDEO_START]: gettext("Your camera is on."),
  [Op.VIDEO_STOP]: gettext("Your camera is off."),
});

// How a call in the history went for this agent (its state, or its end reason).
export const OUTCOME_LABEL = Object.freeze({
  [State.RINGING]: gettext("Ringing"),
  [State.IN_CALL]: gettext("In progress"),
  [Reason.ENDED_BY_LOCAL]: gettext("You hung up"),
  [Reason.ENDED_BY_REMOTE]: gettext("Caller hung up"),
  [Reason.REJECTED]: gettext("Declined"),
  [Reason.IGNORED]: gettext("Ignored"),
  [Reason.NO_ANSWER]: gettext("Missed"),
  [Reason.ANSWERED_ELSEWHERE]: gettext("Answered elsewhere"),
  [Reason.CANCELLED]: gettext("Missed"),
  [Reason.FORWARDED]: gettext("Forwarded"),
  [Reason.CONNECTION_LOST]: gettext("Connection lost"),
  [Reason.MEDIA_FAILED]: gettext("Network blocked"),
  [Reason.NO_AGENTS]: gettext("No agents"),
  [Reason.ERROR]: gettext("Failed"),
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

/** A translated text with its %(name)s placeholders filled in. */
export function say(text, values) {
  return interpolate(text, values, true);
}

// phone.js's sentences for end reasons and error codes (phone.js is also the widget's,
// which has catalogues of its own), in the agent's language.
const SAID = Object.freeze({
  [Reason.ENDED_BY_LOCAL]: gettext("You ended the call."),
  [Reason.ENDED_BY_REMOTE]: gettext("The other side ended the call."),
  [Reason.REJECTED]: gettext("The call was declined."),
  [Reason.IGNORED]: gettext("You ignored the call."),
  [Reason.NO_ANSWER]: gettext("Nobody answered in time."),
  [Reason.NO_AGENTS]: gettext("No agent is available right now."),
  [Reason.ANSWERED_ELSEWHERE]: gettext("The call was answered elsewhere."),
  [Reason.CANCELLED]: gettext("The caller hung up."),
  [Reason.FORWARDED]: gettext("You forwarded the call."),
  [Reason.TRANSFERRED]: gettext("You transferred the call."),
  [Reason.CALLBACK_REQUESTED]: gettext("Nobody took the transfer: the caller was left a callback request."),
  [Reason.CONNECTION_LOST]: gettext("The connection was lost."),
  // Where the caller's words ("your network blocks the call") would mislead the agent.
  [Reason.MEDIA_FAILED]: gettext(
    "The network blocks the call: no audio could get through between you and the caller, not even through the relay.",
  ),
  [Reason.ERROR]: gettext("The call failed because of a server error."),
  [ErrorCode.FORBIDDEN]: gettext("This is not allowed."),
  [ErrorCode.NOT_FOUND]: gettext("Nobody can be reached at that address."),
  [ErrorCode.INVALID_STATE]: gettext("That is not possible in the call's current state."),
  [ErrorCode.OPERATION_IN_PROGRESS]: gettext("Another action on this call is still running."),
  [ErrorCode.NOT_SUPPORTED]: gettext("This call does not support that."),
  [ErrorCode.RATE_LIMITED]: gettext("Too many attempts; try again in a minute."),
  [ErrorCode.TIMEOUT]: gettext("The other side did not respond in time."),
  [ErrorCode.TOO_LARGE]: gettext("The message was too large."),
  [ErrorCode.BAD_REQUEST]: gettext("The request was not understood."),
  [ErrorCode.UNAUTHORIZED]: gettext("You need to log in again."),
  [ErrorCode.INTERNAL_ERROR]: gettext("The server failed."),
  [NETWORK_ERROR]: gettext("The network connection to the support server failed."),
});

/** An end reason or error code as a sentence in the agent's language. */
export function reasonText(code) {
  return SAID[code] || EXPLAIN[code];
}

/** "support" for "support@<our domain>": the domain is the same everywhere here. */
export function shortAddress(address) {
  const domain = config.identity.split("@")[1];
  return address?.endsWith(`@${domain}`) ? address.slice(0, -domain.length - 1) : address || "—";
}

export function callerName(from) {
  return from?.display_name?.trim() || gettext("Anonymous visitor");
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
  const sentence = reasonText(code) || code || gettext("It failed.");
  // The server's message is English: it only adds to a sentence that says something else.
  return message && message !== sentence && message !== EXPLAIN[code] ? `${sentence} (${message})` : sentence;
}

// Dates in the page's language (the one Django chose), not the browser's.
const LOCALE = document.documentElement.lang || undefined;

/** "14:05" today, "Mar 3, 14:05" before. */
export function when(iso) {
  const date = new Date(iso);
  const time = date.toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit" });
  return date.toDateString() === new Date().toDateString()
    ? time
    : `${date.toLocaleDateString(LOCALE, { month: "short", day: "numeric" })}, ${time}`;
}

/** A call's quality, for the team view and the recent calls: each party's MOS in words
 *  ("caller 4.4, agent 3.1 ⚠"), the ⚠ where that party's reports warn; "" with none. */
export function qualityWords(quality, mosOf) {
  const parts = [];
  for (const [party, label] of [["caller", gettext("caller")], ["agent", gettext("agent")]]) {
    const q = quality?.[party];
    if (q) parts.push(`${label} ${mosOf(q).toFixed(1)}${q.warnings?.length ? " ⚠" : ""}`);
  }
  return parts.length ? say(gettext("MOS: %(parts)s"), { parts: parts.join(", ") }) : "";
}
