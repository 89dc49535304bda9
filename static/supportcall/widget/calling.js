// Placing a call from the widget: logging in for the site, the microphone (and
// camera), the address to call, and a failure to start explained in plain words.

import { ErrorCode, EXPLAIN, Media, NETWORK_ERROR, Phone } from "../phone.js";
import { LOGIN_EXPIRED, NOT_ENABLED, SERVICE_TROUBLE, UNREACHABLE, explainMedia } from "./words.js";

/** The visitor hung up while the call was being placed. */
export class Cancelled extends Error {}
/** getUserMedia failed; the message says why and what to do. */
export class MediaFailure extends Error {}

const CAMERA = { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" };

/** Log in anonymously for the widget's site. */
export function login({ server, site, displayName, context }) {
  if (!site) return Promise.reject(new Error("This widget has no data-site attribute, so it cannot place calls."));
  return Phone.visitor(server, { site, displayName: displayName || undefined, context });
}

/** The microphone, and the camera for a video call; a MediaFailure says what went wrong. */
export async function getMedia(media) {
  const video = media === Media.VIDEO;
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new MediaFailure("Calls need a secure page (https) in a browser that supports them.");
  }
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video: video ? CAMERA : false });
  } catch (error) {
    throw new MediaFailure(explainMedia(error, video));
  }
}

/** A camera track for a call that starts video; a MediaFailure says what went wrong. */
export async function getCamera() {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ video: CAMERA });
    return stream.getVideoTracks()[0];
  } catch (error) {
    throw new MediaFailure(explainMedia(error, true).replace("camera and microphone", "camera"));
  }
}

/** The address to call: data-queue as given, or with the server's domain added. */
export function target(queue, phone) {
  if (!queue) return undefined; // the site's default queue
  if (queue.includes("@")) return queue;
  const domain = (phone.identity || phone.login?.targets?.[0] || "").split("@")[1];
  return domain ? `${queue}@${domain}` : queue;
}

/** A failure to start a call, in plain words. `phone` is the Phone, if the login worked. */
export async function explainFailure(error, phone) {
  if (error instanceof MediaFailure || !error?.code) return error?.message || String(error);
  if (error.closeCode !== undefined) return explainClose(error);
  switch (error.code) {
    case ErrorCode.FORBIDDEN:
      // At login (or a WebSocket closed with 4403) this is the page's origin.
      return phone?.hello ? `${EXPLAIN[ErrorCode.FORBIDDEN]} The support line could not be called.` : NOT_ENABLED;
    case ErrorCode.NOT_FOUND:
      return "This support line does not exist. Please tell the site's owner.";
    case ErrorCode.UNAUTHORIZED:
      return "The support server refused the connection. Please try again.";
    case NETWORK_ERROR:
      // The login refused for an origin carries no CORS header, so the
      // browser reports a network error. If the server answers otherwise,
      // that is what happened.
      if (!phone && (await serverAnswers())) return NOT_ENABLED;
      return UNREACHABLE;
    default:
      return EXPLAIN[error.code] || error.message;
  }
}

/** The WebSocket closed before the server's hello: each refusal says what it was. */
function explainClose(error) {
  switch (error.code) {
    case ErrorCode.FORBIDDEN: return NOT_ENABLED; // 4403: this page's origin
    case ErrorCode.UNAUTHORIZED: return LOGIN_EXPIRED; // 4401: a token expired or used
    case ErrorCode.INTERNAL_ERROR: return SERVICE_TROUBLE; // 1011: the server failed
    default: return UNREACHABLE; // never opened, or cut: nothing answers there
  }
}

async function serverAnswers() {
  try {
    const response = await fetch(new URL("../phone.js", import.meta.url).href, {
      method: "HEAD", cache: "no-store", credentials: "omit",
    });
    return response.ok;
  } catch {
    return false;
  }
}
