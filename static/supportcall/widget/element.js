// <supportcall-widget>: the launcher and the call panel in an open Shadow DOM,
// so the host page's CSS and the widget's never meet. The element owns the
// widget's state (the fields set in its constructor); render.js draws it,
// calling.js places calls, controls.js runs the call controls, callback.js
// takes callback requests and line.js asks whether anyone can answer.
//
// Its `call` (the current phone.js Call) and `phone` are public: a host page
// (or a test) can read the call's state and media from them.

import { Chat } from "../chat.js";
import { Media, Reason, State } from "../phone.js";
import { Callbacks } from "./callback.js";
import { Rating } from "./rating.js";
import { Cancelled, explainFailure, getMedia, login, target } from "./calling.js";
import { CHOOSE } from "./config.js";
import { declineScreen, shareScreen, stopScreen, toggleHold, toggleMute, toggleVideo } from "./controls.js";
import { fetchLine, lineBlocked } from "./line.js";
import { PreCheck } from "./precheck.js";
import { render, renderTimer } from "./render.js";
import { Phase, UNDER_WAY } from "./states.js";
import { elements, template } from "./template.js";
import { explain, t } from "./words.js";

export const TAG = "supportcall-widget";
const LINE_REFRESH_MS = 30000;
// A server that does not answer a hang-up still ends the call here after this.
const HANGUP_GRACE_MS = 5000;

export class SupportcallWidget extends HTMLElement {
  constructor(config) {
    super();
    this.config = config;
    /** The current phone.js Call (kept after it ends, for diagnostics). */
    this.call = null;
    this.phone = null;
    /** The media of the current (or last) call, its local stream, and whether its Phone reconnects. */
    this.media = null;
    this.stream = null;
    this.reconnecting = false;
    /** A phone.js State, or a Phase before the call exists or when it could not start. */
    this.state = Phase.IDLE;
    this.reason = null;
    this.errorText = "";
    this.isOpen = false;
    this.busy = null; // the call operation under way, if any
    this.attempt = null;
    this.answeredAt = null;
    this.localVideoTrack = null;
    this.timer = null;
    /** The line's status from the server (open, agents free, wait), or null if unknown. */
    this.line = null;
    this.lineAsked = false;
    this.callbacks = new Callbacks(this);
    this.rating = new Rating(this);
    /** The check before the call (precheck.js): its last result goes with the next call. */
    this.precheck = new PreCheck(this);
    /** The current call's chat (chat.js), from its answer until the widget starts over. */
    this.chat = null;

    const root = this.attachShadow({ mode: "open" });
    root.innerHTML = template();
    this.el = elements(root);
    if (config.color) this.el.root.style.setProperty("--accent", config.color);
    this.listen();
    this.render();
    this.refreshLine();
    this.lineTimer = setInterval(() => {
      if (!UNDER_WAY.includes(this.state)) this.refreshLine();
    }, LINE_REFRESH_MS);
  }

  listen() {
    const el = this.el;
    const on = (button, handler) => button.addEventListener("click", (event) => {
      if (event.currentTarget.getAttribute("aria-disabled") !== "true") handler();
    });
    on(el.launcher, () => this.onLauncher());
    on(el.close, () => this.closePanel());
    on(el.chooseAudio, () => this.start(Media.AUDIO));
    on(el.chooseVideo, () => this.start(Media.VIDEO));
    on(el.callAgain, () => this.start(this.fixedMedia()));
    on(el.hangup, () => this.hangUp());
    on(el.mute, () => toggleMute(this));
    on(el.hold, () => toggleHold(this));
    on(el.video, () => toggleVideo(this));
    on(el.checkButton, () => this.precheck.run());
    on(el.screenShare, () => shareScreen(this));
    on(el.screenNotNow, () => declineScreen(this));
    on(el.screenStop, () => stopScreen(this));
    on(el.callbackOffer, () => this.callbacks.open());
    on(el.callbackCancel, () => this.callbacks.close());
    on(el.ratingSkip, () => this.rating.skip());
    // Enter on a star sends, as in the comment's form (arrows choose: a radio group).
    el.ratingForm.querySelector(".stars").addEventListener("keydown", (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      this.rating.send();
    });
    el.ratingForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.rating.send();
    });
    el.callbackForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.callbacks.send();
    });
    // Escape closes the panel and never hangs up: a call goes on, the launcher shows it.
    el.root.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || !this.isOpen) return;
      event.stopPropagation();
      this.closePanel();
    });
  }

  render() {
    render(this);
    if (this.chat) this.chat.seen();
    else this.el.chat.toggle.hidden = this.el.chat.area.hidden = true;
  }

  /** Chat with the agent on `call`; null: no chat (a new call, or idle again). */
  startChat(call) {
    this.chat?.detach();
    this.chat = call && new Chat(call, this.el.chat, {
      you: t("chat.you"),
      other: t("chat.agent"),
      unread: (count) => t("chat.unread", { count }),
      failed: (error) => t("chat.failed", { why: explain(error.code) || error.message }),
      uploading: (name, percent) => t("chat.uploading", { name, percent }),
      tooLarge: (most) => t("chat.tooLarge", { most }),
      badType: () => t("chat.badType"),
      fileGone: (name) => t("chat.fileGone", { name }),
    }, { mine: "caller", visible: () => this.isOpen });
  }

  /** Ask the server whether calls are possible now, before anyone logs in. */
  async refreshLine() {
    this.line = await fetchLine(this.config);
    this.lineAsked = true; // answered, or could not be read (then unknown: calling will tell)
    this.render();
  }

  /** The media of a widget that does not let the visitor choose, or null. */
  fixedMedia() {
    return this.config.media === CHOOSE ? null : this.config.media;
  }

  // --- the panel ------------------------------------------------------------------

  onLauncher() {
    if (UNDER_WAY.includes(this.state)) {
      // During a call the launcher shows and hides the call.
      this.isOpen ? this.closePanel() : this.openPanel();
      return;
    }
    if (this.isOpen && this.state === Phase.IDLE) {
      this.closePanel();
      return;
    }
    // From idle, ended or error: start over.
    this.resetToIdle();
    if (this.precheck.takeDue()) {
      // The last call's media could not connect: test the network before anything else.
      this.openPanel(this.el.checkButton);
      this.precheck.run();
      return;
    }
    if (lineBlocked(this.line)) {
      // Nobody could answer when last asked: say why, offer a callback, and ask again.
      this.openPanel(this.el.callbackOffer);
      this.refreshLine();
      return;
    }
    const media = this.fixedMedia();
    if (media) this.start(media);
    else this.openPanel(this.el.chooseAudio);
  }

  openPanel(focus) {
    this.isOpen = true;
    this.render();
    this.focus(focus || this.preferredFocus());
  }

  closePanel() {
    this.isOpen = false;
    if (!UNDER_WAY.includes(this.state)) this.resetToIdle();
    this.render();
    this.el.launcher.focus();
  }

  resetToIdle() {
    if (UNDER_WAY.includes(this.state)) return;
    if (this.callbacks.view === "done") this.callbacks.view = null;
    this.state = Phase.IDLE;
    this.reason = null;
    this.errorText = "";
    this.startChat(null);
    this.rating.view = null;
    this.rating.finish();
    this.render();
  }

  preferredFocus() {
    // In a call the status has the focus, never Hang up: a second Enter must not end it.
    if (UNDER_WAY.includes(this.state)) return this.el.status;
    return this.fixedMedia() && this.state !== Phase.IDLE ? this.el.callAgain : this.el.chooseAudio;
  }

  focus(el) {
    if (el && !el.hidden && el.offsetParent !== null) el.focus();
  }

  /** Run `change`; focus that was in the widget stays there (its button may have gone). */
  keepingFocus(change, { always = false } = {}) {
    const focusWasInside = Boolean(this.shadowRoot.activeElement);
    change();
    if (focusWasInside && (always || !this.shadowRoot.activeElement)) this.focus(this.preferredFocus());
  }

  // --- the call -------------------------------------------------------------------

  async start(media) {
    if (!media || UNDER_WAY.includes(this.state) || lineBlocked(this.line)) return;
    this.callbacks.view = null;
    this.rating.view = null;
    this.rating.finish();
    const attempt = (this.attempt = { cancelled: false });
    this.media = media;
    this.reason = null;
    this.errorText = "";
    this.answeredAt = null;
    this.localVideoTrack = null;
    this.call = null;
    this.startChat(null);
    this.reconnecting = false;
    this.state = Phase.CONNECTING;
    this.isOpen = true;
    this.render();
    this.focus(this.el.status);

    let phone = null;
    let stream = null;
    try {
      phone = await login(this.config, this);
      if (attempt.cancelled) throw new Cancelled();
      this.phone = phone;
      // A dropped connection resumes on its own: say so, the call goes on meanwhile.
      phone.addEventListener("reconnecting", () => {
        if (phone === this.phone) { this.reconnecting = true; this.render(); }
      });
      phone.addEventListener("reconnected", () => {
        if (phone === this.phone) { this.reconnecting = false; this.render(); }
      });
      // Asked for only now, but before anything rings: a denied microphone
      // is explained and no call is ever created.
      stream = await getMedia(media);
      if (attempt.cancelled) throw new Cancelled();
      const check = this.precheck.result || undefined;
      const call = await phone.call({ to: target(this.config.queue, phone), media, stream, check });
      if (attempt.cancelled) {
        // Hung up while the call was being created: cancel it on the server.
        await call.end().catch(() => {});
        throw new Cancelled();
      }
      this.attach(call, stream);
    } catch (error) {
      stream?.getTracks().forEach((track) => track.stop());
      phone?.close();
      if (attempt !== this.attempt || attempt.cancelled || error instanceof Cancelled) return;
      this.fail(await explainFailure(error, phone));
    }
  }

  attach(call, stream) {
    this.call = call;
    this.stream = stream;
    this.startChat(call);
    const current = (handler) => (event) => {
      if (call === this.call) handler(event);
    };
    call.addEventListener("state", current((event) => this.onState(event.detail)));
    // What the agent sends (call.media, and the answer for the first time).
    call.addEventListener("media", current(() => this.render()));
    call.addEventListener("track", current(() => this.showRemote()));
    call.addEventListener("position", current(() => this.render()));
    call.addEventListener("transferring", current(() => this.render()));
    call.addEventListener("connection", current(() => this.render()));
    call.addEventListener("quality", current(() => this.render()));
    // The visitor's screen: the agent's ask, its request to stop, and the share's changes
    // (the browser's own "Stop sharing" too).
    call.addEventListener("screen.asked", current(() => this.render()));
    call.addEventListener("screen.stop_request", current(() => stopScreen(this)));
    call.addEventListener("sharing", current(() => this.render()));
    if (call.state) this.onState({ state: call.state, reason: call.reason });
    else this.render();
  }

  onState({ state, reason }) {
    if (this.state === state) return;
    this.keepingFocus(() => {
      if (state === State.IN_CALL && !this.answeredAt) {
        this.answeredAt = Date.now();
        this.timer = setInterval(() => renderTimer(this), 500);
      }
      this.state = state;
      if (state === State.ENDED) {
        this.reason = reason;
        this.precheck.noteEnd(reason);
        // An answered call: its WebSocket stays open a while, for the visitor's rating.
        const rate = this.answeredAt && this.call?.id && this.phone;
        if (rate) this.rating.offer(this.phone, this.call.id);
        this.cleanUp({ keepPhone: Boolean(rate) });
        this.refreshLine();
      }
      this.render();
    }, { always: state === State.ENDED });
  }

  showRemote() {
    const stream = this.call?.remoteStream;
    if (!stream) return;
    for (const el of [this.el.remoteVideo, this.el.audio]) {
      if (el.srcObject !== stream) el.srcObject = stream;
      el.play().catch(() => {});
    }
    this.render();
  }

  hangUp() {
    if (!UNDER_WAY.includes(this.state)) return;
    const call = this.call;
    if (call && !call.ended) {
      call.end();
      setTimeout(() => { if (call === this.call && !call.ended) this.phone?.close(); }, HANGUP_GRACE_MS);
      return;
    }
    // Not created yet: start() cancels whatever it gets.
    if (this.attempt) this.attempt.cancelled = true;
    this.keepingFocus(() => {
      this.state = State.ENDED;
      this.reason = Reason.ENDED_BY_LOCAL;
      this.cleanUp();
      this.render();
    }, { always: true });
  }

  fail(message) {
    this.keepingFocus(() => {
      this.state = Phase.ERROR;
      this.errorText = message;
      this.cleanUp();
      this.render();
    }, { always: true });
  }

  /** Leave nothing behind: no timer, no microphone, no camera, no WebSocket (but the one
   * `keepPhone` leaves to the rating, which closes it). */
  cleanUp({ keepPhone = false } = {}) {
    clearInterval(this.timer);
    this.timer = null;
    this.busy = null;
    this.stream?.getTracks().forEach((track) => track.stop());
    this.localVideoTrack?.stop();
    this.stream = null;
    if (this.call && !this.call.ended) this.call.end().catch(() => {});
    if (this.call?.pc && this.call.pc.signalingState !== "closed") this.call.pc.close();
    if (!keepPhone) this.phone?.close();
    this.phone = null;
    for (const el of [this.el.remoteVideo, this.el.localVideo, this.el.audio]) el.srcObject = null;
  }
}
