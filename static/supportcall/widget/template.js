// The widget's markup: the launcher and the panel, every part present from the
// start and shown or hidden by render.js. Tests and styles find parts by
// data-testid and class; `elements` collects the ones the code touches.

import { ICON } from "./icons.js";
import { STYLE } from "./styles.js";
import { clock, currentLanguage, direction, escapeHTML, t } from "./words.js";

/** The markup in the current language (words.js), laid out in its direction. */
export function template() {
  const w = (key) => escapeHTML(t(key));
  return `
  <style>${STYLE}</style>
  <div class="root" part="root" lang="${currentLanguage()}" dir="${direction()}">
    <section class="panel" id="panel" part="panel" aria-label="${w("panel.label")}" hidden>
      <header class="head">
        <div class="who">
          <span class="avatar">${ICON.headset}</span>
          <div><p class="title">${w("panel.title")}</p><p class="subtitle">${w("subtitle.idle")}</p></div>
        </div>
        <button class="icon-btn" type="button" data-testid="close" aria-label="${w("panel.close")}">${ICON.close}</button>
      </header>
      <div class="body">
        <p class="intro">${w("intro.free")}</p>
        <div class="stage" hidden>
          <div class="portrait"><span class="pulse" hidden></span><span class="avatar">${ICON.headset}</span></div>
          <video class="remote" data-testid="remote-video" playsinline autoplay muted hidden></video>
          <video class="local" data-testid="local-video" playsinline autoplay muted hidden></video>
          <div class="held" hidden>${w("stage.held")}</div>
          <div class="badges">
            <span class="badge" data-testid="remote-muted" hidden>${ICON.micOff}${w("stage.remoteMuted")}</span>
            <span class="badge" data-testid="remote-video-off" hidden>${ICON.videoOff}${w("stage.remoteVideoOff")}</span>
            <span class="badge" data-testid="remote-reconnecting" hidden>${ICON.alert}${w("stage.remoteReconnecting")}</span>
            <span class="badge" data-testid="reconnecting" hidden>${ICON.alert}${w("stage.reconnecting")}</span>
          </div>
        </div>
        <div class="line">
          <p class="status" data-testid="status" data-state="idle" role="status" aria-live="polite" tabindex="-1"></p>
          <span class="timer" data-testid="timer" role="timer" aria-label="${w("timer.label")}" hidden>${clock(0)}</span>
          <span class="quality" data-testid="quality" role="img" hidden><i></i><i></i><i></i></span>
        </div>
        <p class="quality-note" data-testid="quality-note" aria-live="polite" hidden></p>
        <p class="position" data-testid="queue-position" hidden></p>
        <p class="error" data-testid="error" role="alert" hidden>${ICON.alert}<span class="error-text"></span></p>
        <div class="screen-ask" data-testid="screen-ask" role="group" aria-label="${w("screen.askLabel")}" hidden>
          <p aria-live="polite">${w("screen.ask")}</p>
          <div class="form-actions">
            <button class="choice primary" type="button" data-testid="screen-share">${w("screen.share")}</button>
            <button class="choice" type="button" data-testid="screen-not-now">${w("screen.notNow")}</button>
          </div>
        </div>
        <div class="screen-banner" data-testid="screen-banner" hidden>
          <p role="status" aria-live="polite">${w("screen.sharing")}</p>
          <button class="choice" type="button" data-testid="screen-stop">${w("screen.stop")}</button>
        </div>
        <button class="choice offer" type="button" data-testid="callback-offer" hidden>
          ${ICON.phone}<span>${w("callback.offer")}</span></button>
        <form class="callback" data-testid="callback-form" hidden novalidate>
          <p class="form-title">${w("callback.title")}</p>
          <label>${w("callback.name")} <input name="name" data-testid="callback-name" autocomplete="name" maxlength="100"></label>
          <label>${w("callback.phone")} <input name="phone" type="tel" data-testid="callback-phone" autocomplete="tel" maxlength="32"></label>
          <label>${w("callback.email")} <input name="email" type="email" data-testid="callback-email" autocomplete="email" maxlength="254"></label>
          <label>${w("callback.note")} <span class="hint">${w("callback.optional")}</span>
            <textarea name="note" data-testid="callback-note" maxlength="1000" rows="3"></textarea></label>
          <p class="form-error" data-testid="callback-error" role="alert" hidden></p>
          <div class="form-actions">
            <button class="choice primary" type="submit" data-testid="callback-submit">${w("callback.send")}</button>
            <button class="choice" type="button" data-testid="callback-cancel">${w("callback.cancel")}</button>
          </div>
        </form>
        <p class="done" data-testid="callback-done" role="status" hidden></p>
        <form class="rating" data-testid="rating-form" hidden novalidate>
          <fieldset class="stars">
            <legend class="form-title">${w("rating.title")}</legend>
            <input type="radio" name="stars" value="1" id="rating-1" data-testid="rating-star-1">
            <label for="rating-1" title="${w("rating.star1")}"><span aria-hidden="true">★</span><span class="sr">${w("rating.star1")}</span></label>
            <input type="radio" name="stars" value="2" id="rating-2" data-testid="rating-star-2">
            <label for="rating-2" title="${w("rating.star2")}"><span aria-hidden="true">★</span><span class="sr">${w("rating.star2")}</span></label>
            <input type="radio" name="stars" value="3" id="rating-3" data-testid="rating-star-3">
            <label for="rating-3" title="${w("rating.star3")}"><span aria-hidden="true">★</span><span class="sr">${w("rating.star3")}</span></label>
            <input type="radio" name="stars" value="4" id="rating-4" data-testid="rating-star-4">
            <label for="rating-4" title="${w("rating.star4")}"><span aria-hidden="true">★</span><span class="sr">${w("rating.star4")}</span></label>
            <input type="radio" name="stars" value="5" id="rating-5" data-testid="rating-star-5">
            <label for="rating-5" title="${w("rating.star5")}"><span aria-hidden="true">★</span><span class="sr">${w("rating.star5")}</span></label>
          </fieldset>
          <label>${w("rating.comment")} <span class="hint">${w("callback.optional")}</span>
            <textarea name="comment" data-testid="rating-comment" maxlength="1000" rows="2"></textarea></label>
          <p class="form-error" data-testid="rating-error" role="alert" hidden></p>
          <div class="form-actions">
            <button class="choice primary" type="submit" data-testid="rating-send">${w("rating.send")}</button>
            <button class="choice" type="button" data-testid="rating-skip">${w("rating.skip")}</button>
          </div>
        </form>
        <p class="done" data-testid="rating-done" role="status" tabindex="-1" hidden>${w("rating.thanks")}</p>
        <div class="choices" hidden>
          <button class="choice primary" type="button" data-testid="choose-audio">${ICON.phone}<span>${w("choice.audio")}</span></button>
          <button class="choice" type="button" data-testid="choose-video">${ICON.video}<span>${w("choice.video")}</span></button>
          <button class="choice primary" type="button" data-testid="call-again">${ICON.phone}<span>${w("choice.again")}</span></button>
        </div>
        <div class="precheck" data-testid="check" hidden>
          <button class="choice" type="button" data-testid="check-button">${w("check.button")}</button>
          <meter class="check-level" data-testid="check-level" min="0" max="1" value="0" aria-label="${w("check.level")}" hidden></meter>
          <video class="check-preview" data-testid="check-preview" playsinline autoplay muted hidden></video>
          <p class="check-result" data-testid="check-result" role="status" aria-live="polite" hidden></p>
        </div>
        <div class="controls" hidden>
          <button class="ctl" type="button" data-testid="mute" aria-label="${w("control.muteName")}" aria-pressed="false">
            <span class="disc"></span><span class="lbl">${w("control.mute")}</span></button>
          <button class="ctl" type="button" data-testid="video" aria-label="${w("control.cameraName")}" aria-pressed="false">
            <span class="disc"></span><span class="lbl">${w("control.camera")}</span></button>
          <button class="ctl" type="button" data-testid="hold" aria-label="${w("control.holdName")}" aria-pressed="false">
            <span class="disc"></span><span class="lbl">${w("control.hold")}</span></button>
          <button class="ctl danger" type="button" data-testid="hangup" aria-label="${w("control.hangUpName")}">
            <span class="disc">${ICON.hangup}</span><span class="lbl">${w("control.hangUp")}</span></button>
        </div>
        <div class="chat">
          <button class="chat-toggle" type="button" data-testid="chat-toggle" aria-expanded="false" aria-controls="chat-area" hidden>
            <span>${w("chat.toggle")}</span><span class="chat-badge" data-testid="chat-unread" hidden></span></button>
          <div class="chat-area" id="chat-area" data-testid="chat" hidden>
            <div class="chat-log" data-testid="chat-log" role="log" aria-label="${w("chat.log")}" tabindex="0"></div>
            <p class="chat-typing" data-testid="chat-typing" aria-live="polite" hidden>${w("chat.typing")}</p>
            <p class="chat-error" data-testid="chat-error" role="alert" hidden></p>
            <p class="chat-progress" data-testid="chat-progress" role="status" hidden></p>
            <form class="chat-form" data-testid="chat-form" novalidate>
              <button class="icon-btn chat-attach" type="button" data-testid="chat-attach" aria-label="${w("chat.attach")}" title="${w("chat.attach")}">${ICON.attach}</button>
              <input class="chat-picker" type="file" data-testid="chat-file-input" accept="image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,.txt" tabindex="-1" aria-hidden="true" hidden>
              <input class="chat-input" data-testid="chat-input" maxlength="2000" autocomplete="off"
                     aria-label="${w("chat.input")}" placeholder="${w("chat.placeholder")}">
              <button class="choice primary chat-send" type="submit" data-testid="chat-send">${w("chat.send")}</button>
            </form>
          </div>
        </div>
      </div>
    </section>
    <button class="launcher" type="button" part="launcher" data-testid="call-button"
            aria-controls="panel" aria-expanded="false"></button>
    <audio class="remote-audio" autoplay></audio>
  </div>
`;
}

/** The parts of a rendered template() that the widget reads or changes, by name. */
export function elements(root) {
  const q = (selector) => root.querySelector(selector);
  const tid = (name) => q(`[data-testid="${name}"]`);
  return {
    root: q(".root"), panel: q(".panel"), intro: q(".intro"), stage: q(".stage"), pulse: q(".pulse"),
    portrait: q(".portrait"), held: q(".held"), choices: q(".choices"), controls: q(".controls"),
    errorText: q(".error-text"), audio: q(".remote-audio"), subtitle: q(".subtitle"),
    launcher: tid("call-button"), close: tid("close"), status: tid("status"), timer: tid("timer"),
    error: tid("error"), chooseAudio: tid("choose-audio"), chooseVideo: tid("choose-video"),
    callAgain: tid("call-again"), mute: tid("mute"), video: tid("video"), hold: tid("hold"),
    hangup: tid("hangup"), remoteVideo: tid("remote-video"), localVideo: tid("local-video"),
    remoteMuted: tid("remote-muted"), remoteVideoOff: tid("remote-video-off"),
    reconnecting: tid("reconnecting"), remoteReconnecting: tid("remote-reconnecting"),
    quality: tid("quality"), qualityNote: tid("quality-note"), position: tid("queue-position"), callbackOffer: tid("callback-offer"), callbackForm: tid("callback-form"),
    callbackError: tid("callback-error"), callbackDone: tid("callback-done"),
    callbackCancel: tid("callback-cancel"), callbackSubmit: tid("callback-submit"),
    ratingForm: tid("rating-form"), ratingError: tid("rating-error"), ratingDone: tid("rating-done"),
    ratingSend: tid("rating-send"), ratingSkip: tid("rating-skip"),
    checkArea: tid("check"), checkButton: tid("check-button"), checkLevel: tid("check-level"),
    checkPreview: tid("check-preview"), checkResult: tid("check-result"),
    screenAsk: tid("screen-ask"), screenShare: tid("screen-share"), screenNotNow: tid("screen-not-now"),
    screenBanner: tid("screen-banner"), screenStop: tid("screen-stop"),
    chat: {
      toggle: tid("chat-toggle"), badge: tid("chat-unread"), area: tid("chat"), log: tid("chat-log"),
      form: tid("chat-form"), input: tid("chat-input"), typing: tid("chat-typing"), error: tid("chat-error"),
      attach: tid("chat-attach"), picker: tid("chat-file-input"), progress: tid("chat-progress"),
    },
  };
}
