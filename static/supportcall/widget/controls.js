// The call controls: mute, hold and the camera, one operation at a time.

import { HOLDING_STATES } from "../phone.js";
import { getCamera } from "./calling.js";
import { explain, t } from "./words.js";

/**
 * Run one of the call's operations: the controls are disabled meanwhile, and
 * a failure is explained (`run` resolves with its op.result).
 */
async function operation(widget, name, run) {
  const call = widget.call;
  if (widget.busy || !call || call.ended) return;
  widget.busy = name;
  widget.errorText = "";
  widget.render();
  try {
    const result = await run(call);
    if (result && !result.ok && !call.ended) {
      widget.errorText = result.explanation || explain(result.code) || result.message || t("fail.operation");
    }
  } catch (error) {
    if (!call.ended) widget.errorText = error.message || String(error);
  } finally {
    if (call === widget.call) {
      widget.busy = null;
      widget.render();
    }
  }
}

export function toggleMute(widget) {
  return operation(widget, "mute", (call) => (call.muted ? call.unmute() : call.mute()));
}

export function toggleHold(widget) {
  const holding = HOLDING_STATES.includes(widget.state);
  return operation(widget, "hold", (call) => (holding ? call.unhold() : call.hold()));
}

/** "Share": the browser asks which screen; refusals are told to the agent (phone.js). */
export function shareScreen(widget) {
  return operation(widget, "screen", async (call) => {
    const result = await call.shareScreen();
    if (result.ok) return result;
    const words = { declined: "screen.declined", not_supported: "screen.notSupported" }[result.code];
    return words ? { ok: false, explanation: t(words) } : result;
  });
}

/** "Not now": the agent is told the visitor declined. */
export function declineScreen(widget) {
  return operation(widget, "screen", async (call) => {
    await call.declineScreen();
    return { ok: true };
  });
}

/** "Stop" (or the agent's request to stop). */
export function stopScreen(widget) {
  return operation(widget, "screen", (call) => (call.sharingScreen ? call.screenStop() : { ok: true }));
}

export function toggleVideo(widget) {
  return operation(widget, "video", async (call) => {
    if (call.sendingVideo) {
      const result = await call.videoStop();
      if (result.ok) {
        // The camera of a video call came with the first stream: release it too.
        widget.stream?.getVideoTracks().forEach((track) => track.stop());
        widget.localVideoTrack = null;
      }
      return result;
    }
    let camera;
    try {
      camera = await getCamera();
    } catch (error) {
      return { ok: false, explanation: error.message };
    }
    const result = await call.videoStart(camera);
    if (result.ok && !call.ended) widget.localVideoTrack = camera;
    else camera.stop();
    return result;
  });
}
