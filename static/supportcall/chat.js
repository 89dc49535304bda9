// Chat in a call (docs/protocol.md, "Chat in a call"), for the widget and the
// dashboard alike: each draws its own markup and words, and hands the parts to a
// Chat, which keeps the messages in the server's order (seq) once each (a resume
// replays them), makes links safe, sends what is typed (Enter sends: the input is
// in a form), tells the other party when this one types, shows when it does, and
// counts what arrived while the chat was collapsed.
//
// Text is never HTML: every message is text nodes, and http(s) URLs in it are
// links (a new tab, rel="noopener noreferrer"); any other scheme stays text.

import { CONNECTED_STATES, State } from "./phone.js";

/** While typing, "typing: true" goes out at most this often (the server limits the rate). */
export const TYPING_EVERY_MS = 3000;
/** The other party's indicator goes after this long without a new "typing: true". */
export const TYPING_SHOWN_MS = 6000;

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`]+/gi;
// Punctuation that ends a sentence, not the URL: "see https://x.test/a."
const TRAILING = /[.,;:!?)\]}]+$/;

/** `text` as text nodes, its http(s) URLs as links opening in a new tab. */
export function linkify(text) {
  const fragment = document.createDocumentFragment();
  let done = 0;
  for (const match of text.matchAll(URL_IN_TEXT)) {
    const url = match[0].replace(TRAILING, "");
    let href = null;
    try {
      const parsed = new URL(url);
      if (parsed.protocol === "http:" || parsed.protocol === "https:") href = parsed.href;
    } catch {
      // not a URL after all: it stays text
    }
    if (!href) continue;
    if (match.index > done) fragment.append(document.createTextNode(text.slice(done, match.index)));
    const link = document.createElement("a");
    link.href = href;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.textContent = url;
    fragment.append(link);
    done = match.index + url.length;
  }
  if (done < text.length) fragment.append(document.createTextNode(text.slice(done)));
  return fragment;
}

/**
 * One call's chat in a page. `parts`: {toggle, badge, area, log, form, input,
 * typing, error} elements; `words`: {you, other, unread(n), failed(error)};
 * `mine`: this side's sender ("caller" or "agent"); `visible()`: whether the
 * page shows the chat's area now (the widget's panel may be closed).
 */
export class Chat {
  constructor(call, parts, words, { mine, visible = () => true }) {
    this.call = call;
    this.parts = parts;
    this.words = words;
    this.mine = mine;
    this.visible = visible;
    this.open = false;
    this.unread = 0;
    this.seqs = new Set();
    this.remoteTyping = false;
    this.typingSent = false;
    this.typingAt = 0;
    this.typingTimer = null;
    this.sent = 0;
    this.stop = new AbortController();
    parts.log.replaceChildren();
    this.showError("");
    const signal = this.stop.signal;
    call.addEventListener("chat.message", (e) => this.onMessage(e.detail), { signal });
    call.addEventListener("chat.typing", (e) => this.onTyping(e.detail.typing), { signal });
    call.addEventListener("state", () => this.render(), { signal });
    parts.toggle.addEventListener("click", () => this.setOpen(!this.open), { signal });
    parts.form.addEventListener("submit", (e) => { e.preventDefault(); this.send(); }, { signal });
    parts.input.addEventListener("input", () => this.onInput(), { signal });
    this.render();
  }

  /** The page stops showing this call's chat (a new call takes the parts). */
  detach() {
    this.stop.abort();
    clearTimeout(this.typingTimer);
  }

  get answered() {
    return CONNECTED_STATES.includes(this.call.state);
  }

  get messages() {
    return this.seqs.size;
  }

  setOpen(open) {
    this.open = open;
    this.seen();
    this.render();
    if (open && !this.parts.input.disabled) this.parts.input.focus();
  }

  /** The page shows the chat again (the panel opened): what it shows is read. */
  seen() {
    if (this.open && this.visible()) this.unread = 0;
    this.render();
  }

  onMessage(message) {
    if (this.seqs.has(message.seq)) return; // replayed after a resume
    this.seqs.add(message.seq);
    const row = document.createElement("div");
    row.className = "chat-message";
    row.dataset.testid = "chat-message";
    row.dataset.seq = String(message.seq);
    row.dataset.sender = message.sender;
    const who = document.createElement("span");
    who.className = "chat-who";
    who.textContent = message.sender === this.mine ? this.words.you : message.display_name || this.words.other;
    const text = document.createElement("span");
    text.className = "chat-text";
    text.append(linkify(String(message.text)));
    row.append(who, text);
    const later = [...this.parts.log.children].find((el) => Number(el.dataset.seq) > message.seq);
    this.parts.log.insertBefore(row, later || null);
    this.parts.log.scrollTop = this.parts.log.scrollHeight;
    if (message.sender !== this.mine) {
      this.onTyping(false);
      if (!(this.open && this.visible())) this.unread += 1;
    }
    this.render();
  }

  onTyping(typing) {
    clearTimeout(this.typingTimer);
    this.remoteTyping = Boolean(typing);
    // A "false" lost in a drop must not leave the indicator on for good.
    if (this.remoteTyping) this.typingTimer = setTimeout(() => this.onTyping(false), TYPING_SHOWN_MS);
    this.render();
  }

  onInput() {
    const typing = this.parts.input.value.trim() !== "";
    const now = Date.now();
    if (typing && (!this.typingSent || now - this.typingAt >= TYPING_EVERY_MS)) {
      this.typingSent = true;
      this.typingAt = now;
      this.request("chat.typing", { typing: true }).catch(() => {});
    } else if (!typing) {
      this.stopTyping();
    }
  }

  stopTyping() {
    if (!this.typingSent) return;
    this.typingSent = false;
    this.request("chat.typing", { typing: false }).catch(() => {});
  }

  async send() {
    const input = this.parts.input;
    const text = input.value;
    if (!text.trim() || !this.answered) return;
    input.value = "";
    this.stopTyping();
    this.showError("");
    // The same client_id if it is sent again: the server would not take it twice.
    const clientId = `${Date.now().toString(36)}-${(this.sent += 1)}-${Math.random().toString(36).slice(2, 8)}`;
    try {
      await this.request("chat.send", { text, client_id: clientId });
    } catch (error) {
      if (!input.value) input.value = text; // not lost: it can be sent again
      this.showError(this.words.failed(error));
    }
  }

  request(type, fields) {
    return this.call.phone.request(type, { call_id: this.call.id, ...fields });
  }

  showError(text) {
    this.parts.error.textContent = text;
    this.parts.error.hidden = !text;
  }

  render() {
    const { toggle, badge, area, input, form, typing } = this.parts;
    const ended = this.call.state === State.ENDED;
    // Offered once the call is answered; what was said stays readable after the end.
    toggle.hidden = !(this.answered || (ended && this.messages));
    area.hidden = toggle.hidden || !this.open;
    toggle.setAttribute("aria-expanded", String(this.open && !area.hidden));
    badge.hidden = this.unread === 0;
    badge.textContent = this.unread ? String(this.unread) : "";
    if (this.unread) badge.setAttribute("aria-label", this.words.unread(this.unread));
    else badge.removeAttribute("aria-label");
    input.disabled = !this.answered;
    for (const button of form.querySelectorAll("button")) button.disabled = !this.answered;
    typing.hidden = !(this.remoteTyping && this.answered);
  }
}
