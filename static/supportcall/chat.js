// Chat in a call (docs/protocol.md, "Chat in a call"), for the widget and the
// dashboard alike: each draws its own markup and words, and hands the parts to a
// Chat, which keeps the messages in the server's order (seq) once each (a resume
// replays them), makes links safe, sends what is typed (Enter sends: the input is
// in a form), tells the other party when this one types, shows when it does, and
// counts what arrived while the chat was collapsed.
//
// Text is never HTML: every message is text nodes, and http(s) URLs in it are
// links (a new tab, rel="noopener noreferrer"); any other scheme stays text.
//
// Files (docs/protocol.md, "Files in the chat"): the attach button picks one, a
// chat.upload token lets it be POSTed (with its progress shown), and it comes back
// as a chat.message with a `file`: an image is shown as a thumbnail (the browser
// scales the download), anything else is a link to download it.

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
    if (parts.attach) {
      parts.attach.addEventListener("click", () => parts.picker.click(), { signal });
      parts.picker.addEventListener("change", () => {
        const [file] = parts.picker.files;
        parts.picker.value = "";
        if (file) this.sendFile(file);
      }, { signal });
    }
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
    if (message.file === undefined) text.append(linkify(String(message.text)));
    else text.append(this.fileItem(message));
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

  /** A file's chat item: its thumbnail (an image) or a link to download it. */
  fileItem(message) {
    const file = message.file;
    if (!file) {
      const gone = document.createElement("span");
      gone.className = "chat-file-gone";
      gone.textContent = this.words.fileGone(String(message.text));
      return gone;
    }
    const link = document.createElement("a");
    link.href = new URL(file.url, this.call.phone.server + "/").href;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.className = "chat-file";
    link.dataset.testid = "chat-file";
    if (file.image) {
      const image = document.createElement("img");
      image.src = link.href;
      image.alt = file.name;
      image.className = "chat-thumb";
      image.dataset.testid = "chat-thumb";
      link.append(image);
    } else {
      link.download = file.name;
      link.textContent = `${file.name} (${sizeWords(file.size)})`;
    }
    return link;
  }

  /** The server's limit on a file's size (SUPPORTCALL_UPLOAD_MAX_BYTES, in its hello). */
  get fileMaxBytes() {
    return this.call.phone.hello.file_max_bytes;
  }

  /** Send a file: a chat.upload token, then its POST (progress shown), then its chat item. */
  async sendFile(file) {
    if (!this.answered || this.uploading) return;
    this.showError("");
    if (file.size > this.fileMaxBytes) { // the server would refuse it: say so at once
      this.showError(this.words.tooLarge(sizeWords(this.fileMaxBytes)));
      return;
    }
    this.uploading = true;
    this.showProgress(this.words.uploading(file.name, 0));
    try {
      const ack = await this.request("chat.upload", { name: file.name, size: file.size });
      await upload(new URL(ack.url, this.call.phone.server + "/").href, ack.token, file, (part) =>
        this.showProgress(this.words.uploading(file.name, Math.round(part * 100))));
    } catch (error) {
      this.showError(error.code === "too_large" ? this.words.tooLarge(sizeWords(this.fileMaxBytes))
        : error.code === "not_supported" ? this.words.badType()
          : this.words.failed(error));
    } finally {
      this.uploading = false;
      this.showProgress("");
    }
  }

  showProgress(text) {
    if (!this.parts.progress) return;
    this.parts.progress.textContent = text;
    this.parts.progress.hidden = !text;
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
    if (this.parts.attach) this.parts.attach.disabled = !this.answered || Boolean(this.uploading);
    typing.hidden = !(this.remoteTyping && this.answered);
  }
}

/** A file's size in plain units (the server's limit is SUPPORTCALL_UPLOAD_MAX_BYTES). */
export function sizeWords(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** POST `file` as the raw body with its token; `progress(0..1)`; rejects {code, message}. */
function upload(url, token, file, progress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Supportcall-Upload-Token", token);
    xhr.setRequestHeader("Supportcall-File-Name", encodeURIComponent(file.name));
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.upload.addEventListener("progress", (e) => { if (e.lengthComputable) progress(e.loaded / e.total); });
    xhr.addEventListener("load", () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status === 201) resolve(body);
      else reject(body?.error || { code: "internal_error", message: `HTTP ${xhr.status}` });
    });
    xhr.addEventListener("error", () => reject({ code: "network_error", message: "network error" }));
    xhr.send(file);
  });
}
