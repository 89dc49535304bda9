// The widget's markup: the launcher and the panel, every part present from the
// start and shown or hidden by render.js. Tests and styles find parts by
// data-testid and class; `elements` collects the ones the code touches.

import { ICON } from "./icons.js";
import { STYLE } from "./styles.js";

export const TEMPLATE = `
  <style>${STYLE}</style>
  <div class="root" part="root">
    <section class="panel" id="panel" part="panel" aria-label="Support call" hidden>
      <header class="head">
        <div class="who">
          <span class="avatar">${ICON.headset}</span>
          <div><p class="title">Support</p><p class="subtitle">Talk to us in your browser</p></div>
        </div>
        <button class="icon-btn" type="button" data-testid="close" aria-label="Close">${ICON.close}</button>
      </header>
      <div class="body">
        <p class="intro">Talk to a person from our support team now, by voice or video. No app or account needed.</p>
        <div class="stage" hidden>
          <div class="portrait"><span class="pulse" hidden></span><span class="avatar">${ICON.headset}</span></div>
          <video class="remote" data-testid="remote-video" playsinline autoplay muted hidden></video>
          <video class="local" data-testid="local-video" playsinline autoplay muted hidden></video>
          <div class="held" hidden>On hold</div>
          <div class="badges">
            <span class="badge" data-testid="remote-muted" hidden>${ICON.micOff}The agent is muted</span>
            <span class="badge" data-testid="remote-video-off" hidden>${ICON.videoOff}The agent's camera is off</span>
            <span class="badge" data-testid="remote-reconnecting" hidden>${ICON.alert}The agent's connection dropped: reconnecting…</span>
            <span class="badge" data-testid="reconnecting" hidden>${ICON.alert}Reconnecting… the call goes on</span>
          </div>
        </div>
        <div class="line">
          <p class="status" data-testid="status" data-state="idle" role="status" aria-live="polite" tabindex="-1"></p>
          <span class="timer" data-testid="timer" role="timer" aria-label="Call duration" hidden>00:00</span>
        </div>
        <p class="position" data-testid="queue-position" hidden></p>
        <p class="error" data-testid="error" role="alert" hidden>${ICON.alert}<span class="error-text"></span></p>
        <button class="choice offer" type="button" data-testid="callback-offer" hidden>
          ${ICON.phone}<span>Leave a callback request</span></button>
        <form class="callback" data-testid="callback-form" hidden novalidate>
          <p class="form-title">Leave your details: we will call you back.</p>
          <label>Name <input name="name" data-testid="callback-name" autocomplete="name" maxlength="100"></label>
          <label>Phone <input name="phone" type="tel" data-testid="callback-phone" autocomplete="tel" maxlength="32"></label>
          <label>Email <input name="email" type="email" data-testid="callback-email" autocomplete="email" maxlength="254"></label>
          <label>Note <span class="hint">(optional)</span>
            <textarea name="note" data-testid="callback-note" maxlength="1000" rows="3"></textarea></label>
          <p class="form-error" data-testid="callback-error" role="alert" hidden></p>
          <div class="form-actions">
            <button class="choice primary" type="submit" data-testid="callback-submit">Send</button>
            <button class="choice" type="button" data-testid="callback-cancel">Cancel</button>
          </div>
        </form>
        <p class="done" data-testid="callback-done" role="status" hidden></p>
        <div class="choices" hidden>
          <button class="choice primary" type="button" data-testid="choose-audio">${ICON.phone}<span>Voice call</span></button>
          <button class="choice" type="button" data-testid="choose-video">${ICON.video}<span>Video call</span></button>
          <button class="choice primary" type="button" data-testid="call-again">${ICON.phone}<span>Call again</span></button>
        </div>
        <div class="controls" hidden>
          <button class="ctl" type="button" data-testid="mute" aria-label="Mute microphone" aria-pressed="false">
            <span class="disc"></span><span class="lbl">Mute</span></button>
          <button class="ctl" type="button" data-testid="video" aria-label="Camera" aria-pressed="false">
            <span class="disc"></span><span class="lbl">Camera</span></button>
          <button class="ctl" type="button" data-testid="hold" aria-label="Hold" aria-pressed="false">
            <span class="disc"></span><span class="lbl">Hold</span></button>
          <button class="ctl danger" type="button" data-testid="hangup" aria-label="Hang up">
            <span class="disc">${ICON.hangup}</span><span class="lbl">Hang up</span></button>
        </div>
      </div>
    </section>
    <button class="launcher" type="button" part="launcher" data-testid="call-button"
            aria-controls="panel" aria-expanded="false"></button>
    <audio class="remote-audio" autoplay></audio>
  </div>
`;

/** The parts of a rendered TEMPLATE that the widget reads or changes, by name. */
export function elements(root) {
  const q = (selector) => root.querySelector(selector);
  const t = (id) => q(`[data-testid="${id}"]`);
  return {
    root: q(".root"), panel: q(".panel"), intro: q(".intro"), stage: q(".stage"), pulse: q(".pulse"),
    portrait: q(".portrait"), held: q(".held"), choices: q(".choices"), controls: q(".controls"),
    errorText: q(".error-text"), audio: q(".remote-audio"), subtitle: q(".subtitle"),
    launcher: t("call-button"), close: t("close"), status: t("status"), timer: t("timer"),
    error: t("error"), chooseAudio: t("choose-audio"), chooseVideo: t("choose-video"),
    callAgain: t("call-again"), mute: t("mute"), video: t("video"), hold: t("hold"),
    hangup: t("hangup"), remoteVideo: t("remote-video"), localVideo: t("local-video"),
    remoteMuted: t("remote-muted"), remoteVideoOff: t("remote-video-off"),
    reconnecting: t("reconnecting"), remoteReconnecting: t("remote-reconnecting"),
    position: t("queue-position"), callbackOffer: t("callback-offer"), callbackForm: t("callback-form"),
    callbackError: t("callback-error"), callbackDone: t("callback-done"),
    callbackCancel: t("callback-cancel"), callbackSubmit: t("callback-submit"),
  };
}
