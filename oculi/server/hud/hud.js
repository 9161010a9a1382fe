// oculi HUD: one page, no build step. Speaks oculi.realtime/1 (docs/realtime-protocol.md)
// over /v1/realtime: sends camera frames (or a chosen picture) and push-to-talk audio, draws
// the overlays the server returns, shows the answer as captions and plays its audio.
// What the page shows is also kept in `hud` (below), which the XR panel (xr.js) draws.
"use strict";

const PROTOCOL = "oculi.realtime/1";
const KIND_AUDIO = 1, KIND_FRAME = 2;
const COLOURS = { text: "#28c83c", code: "#dc28dc", face: "#3c78ff", object: "#ff8c00" };
const MAX_SIDE = 1280;          // frames are downscaled to this before sending
const CAMERA_INTERVAL_MS = 700; // at most one camera frame in flight, and this often

const $ = (id) => document.getElementById(id);
const view = $("view"), ctx = view.getContext("2d");
const params = new URLSearchParams(location.search);
let ws = null, ready = false, frameId = 0, audioSeq = 0, waitingOverlay = 0;
const frames = new Map(); // frame id → the image sent, to draw its overlay on
let lastOverlay = null, camera = null, capture = null, player = null, playAt = 0;
const playing = [];

// What the wearer should see, for both views: the 2-D page and the XR panel (xr.js).
// Every change bumps `version` and fires "oculi-hud" on the document.
const hud = {
  status: "connecting…", heard: "", answer: "", tools: [], notifications: [],
  memory: null, items: [], confirms: [], talking: false, version: 0,
};
function changed() {
  hud.version++;
  document.dispatchEvent(new Event("oculi-hud"));
}

function setState(state, text) {
  document.body.dataset.state = state;
  $("status").textContent = text;
  hud.status = text;
  changed();
}

function log(text, cls) {
  const li = document.createElement("li");
  li.textContent = text;
  if (cls) li.className = cls;
  $("log").prepend(li);
  while ($("log").children.length > 50) $("log").lastChild.remove();
}

// ---------------------------------------------------------------- wire format
function binary(kind, header, payload) {
  const head = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(3 + head.length + payload.byteLength);
  out[0] = kind;
  out[1] = head.length >> 8;
  out[2] = head.length & 0xff;
  out.set(head, 3);
  out.set(new Uint8Array(payload), 3 + head.length);
  return out.buffer;
}

function parseBinary(buf) {
  const bytes = new Uint8Array(buf);
  const size = (bytes[1] << 8) | bytes[2];
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(3, 3 + size)));
  return { kind: bytes[0], header, payload: buf.slice(3 + size) };
}

function send(event) {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(event));
}

// ---------------------------------------------------------------- connection
function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const key = params.get("api_key");
  const url = `${scheme}//${location.host}/v1/realtime` + (key ? `?api_key=${encodeURIComponent(key)}` : "");
  ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => {
    setState("starting", "starting the session…");
    send({ type: "session.start", protocol: PROTOCOL, mode: "push_to_talk",
           audio: { rate: 16000, channels: 1, format: "pcm_s16le" }, client: "oculi-hud" });
  };
  ws.onmessage = (msg) => {
    if (typeof msg.data === "string") onEvent(JSON.parse(msg.data));
    else onAudio(parseBinary(msg.data));
  };
  ws.onclose = (ev) => {
    ready = false;
    $("talk").disabled = true;
    setState("closed", `disconnected (${ev.code}${ev.reason ? ": " + ev.reason : ""})`);
  };
}

function onEvent(ev) {
  switch (ev.type) {
    case "session.status":
      setState("loading", ev.detail || ev.state);
      break;
    case "session.started":
      ready = true;
      $("talk").disabled = false;
      setState("ready", `ready — ${ev.capabilities.models.chat}`);
      break;
    case "overlay":
      waitingOverlay = 0;
      lastOverlay = ev;
      if (!camera) drawFrame(ev.frame_id);
      drawOverlay(ev);
      {
        const items = ev.items.map(itemLabel);
        if (items.join("\n") !== hud.items.join("\n")) { // a new texture only when it changed
          hud.items = items;
          changed();
        }
      }
      break;
    case "speech.started":
      stopPlayback(); // the wearer speaks: the answer stops at once (barge-in)
      $("caption").textContent = "";
      hud.heard = "…";
      hud.answer = "";
      changed();
      break;
    case "transcript.partial":
      $("caption").textContent = "… " + ev.text;
      hud.heard = ev.text + " …";
      changed();
      break;
    case "transcript.final":
      addTranscript("user", ev.text);
      $("caption").textContent = "";
      hud.heard = ev.text;
      changed();
      break;
    case "answer.delta":
      $("caption").textContent = ($("caption").textContent + " " + ev.text).trim();
      hud.answer = (hud.answer + " " + ev.text).trim();
      changed();
      break;
    case "answer.interrupted":
      stopPlayback();
      break;
    case "answer.done":
      addTranscript("assistant", ev.answer || ev.full_answer);
      break;
    case "tool.started":
    case "tool.finished":
      onTool(ev);
      break;
    case "notification":
      onNotification(ev);
      break;
    case "memory.state":
      hud.memory = Boolean(ev.recording);
      document.body.dataset.memory = hud.memory ? "on" : "off";
      $("memory").hidden = !hud.memory;
      changed();
      break;
    case "confirm.request":
      hud.confirms.push({ id: ev.id, tool: ev.tool, question: ev.question || `Run ${ev.tool}?` });
      showConfirm();
      break;
    case "error":
      log(`${ev.code}: ${ev.message}`, "error");
      if (ev.fatal) setState("error", ev.message);
      break;
  }
  document.body.dataset.lastEvent = ev.type;
}

/** A recognised item as one short label: faces are only ever "person". */
function itemLabel(item) {
  if (item.kind === "face") return "person";
  let label = item.text || item.label || item.kind;
  if (item.translation) label += ` → ${item.translation}`;
  return label;
}

// ---------------------------------------------------------------- tools, reminders, confirmations
function shorten(text, n) {
  text = String(text ?? "").replace(/\s+/g, " ").trim();
  return text.length > n ? text.slice(0, n - 1) + "…" : text;
}

function toolArguments(detail) {
  const args = detail.arguments;
  if (args == null) return detail.frame_id != null ? `frame ${detail.frame_id}` : "";
  if (typeof args !== "object") return shorten(args, 80);
  return shorten(Object.entries(args)
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", "), 80);
}

function onTool(ev) {
  const detail = ev.detail || {};
  let tool = hud.tools.find((t) => t.call_id === ev.call_id);
  if (!tool) {
    tool = { call_id: ev.call_id, name: ev.name, state: "running", text: "" };
    hud.tools.push(tool);
    while (hud.tools.length > 5) hud.tools.shift();
  }
  if (ev.type === "tool.started") {
    tool.text = toolArguments(detail);
  } else {
    tool.state = ev.ok ? "ok" : "failed";
    if (detail.summary != null && detail.summary !== "") tool.text = shorten(detail.summary, 100);
  }
  tool.line = `${{ running: "…", ok: "✓", failed: "✗" }[tool.state]} ${tool.name}` +
              (tool.text ? `: ${tool.text}` : "");
  let li = [...$("tools").children].find((el) => el.dataset.callId === ev.call_id);
  if (!li) {
    li = document.createElement("li");
    li.dataset.callId = ev.call_id;
    $("tools").prepend(li);
    while ($("tools").children.length > 20) $("tools").lastChild.remove();
  }
  li.textContent = tool.line;
  li.className = tool.state;
  changed();
}

function onNotification(ev) {
  const due = new Date(ev.due);
  const when = isNaN(due) ? "" : due.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const kind = ev.kind === "timer" ? "Timer" : "Reminder";
  const note = { kind: ev.kind, text: ev.text, due: ev.due, late: Boolean(ev.late),
                 line: `${kind}${when ? " " + when : ""}${ev.late ? " (late)" : ""}: ${ev.text}` };
  hud.notifications.push(note);
  while (hud.notifications.length > 3) hud.notifications.shift();
  const li = document.createElement("li");
  li.className = ev.late ? `${ev.kind} late` : ev.kind;
  li.textContent = note.line;
  $("notifications").prepend(li);
  while ($("notifications").children.length > 20) $("notifications").lastChild.remove();
  changed();
}

// One question at a time, answered only by the page's own buttons (never by a select in XR,
// which the wearer also uses to talk).
function showConfirm() {
  const next = hud.confirms[0];
  $("confirm").hidden = !next;
  if (next) {
    $("confirm-question").textContent = next.question;
    $("confirm").dataset.id = next.id;
  }
  changed();
}

function replyConfirm(approved) {
  const next = hud.confirms.shift();
  if (!next) return;
  send({ type: "confirm.reply", id: next.id, approved });
  log(`${approved ? "allowed" : "refused"}: ${next.question}`);
  showConfirm();
}

function addTranscript(who, text) {
  if (!text) return;
  const li = document.createElement("li");
  li.className = who;
  li.textContent = text;
  $("transcript").append(li);
}

// ---------------------------------------------------------------- frames and overlays
async function sendImage(source, width, height) {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const w = Math.round(width * scale), h = Math.round(height * scale);
  const off = new OffscreenCanvas(w, h);
  off.getContext("2d").drawImage(source, 0, 0, w, h);
  const blob = await off.convertToBlob({ type: "image/jpeg", quality: 0.85 });
  const id = ++frameId;
  frames.set(id, await createImageBitmap(off));
  for (const old of frames.keys()) if (old < id - 5) frames.delete(old);
  ws.send(binary(KIND_FRAME, { id, t: performance.now(), format: "jpeg" }, await blob.arrayBuffer()));
  waitingOverlay = performance.now();
  view.dataset.sentFrameId = String(id);
  return id;
}

function drawFrame(id) {
  const img = frames.get(id);
  if (!img) return;
  view.width = img.width;
  view.height = img.height;
  ctx.drawImage(img, 0, 0);
}

function drawOverlay(ov) {
  const sx = view.width / ov.width, sy = view.height / ov.height;
  const line = Math.max(2, Math.round(Math.max(view.width, view.height) / 320));
  const drawn = [];
  ctx.font = `${Math.max(14, Math.round(view.height / 28))}px system-ui, sans-serif`;
  ctx.textBaseline = "bottom";
  for (const item of ov.items) {
    const [x0, y0, x1, y1] = item.box;
    const x = x0 * sx, y = y0 * sy, w = (x1 - x0) * sx, h = (y1 - y0) * sy;
    const colour = COLOURS[item.kind] || "#fff";
    ctx.lineWidth = line;
    ctx.strokeStyle = colour;
    ctx.strokeRect(x, y, w, h);
    let label = item.text || item.label || item.kind;
    if (item.translation) label += ` → ${item.translation}`;
    const tw = ctx.measureText(label).width + 8, th = parseInt(ctx.font, 10) + 6;
    const ty = y - th > 0 ? y - th : y + h;
    ctx.fillStyle = "rgba(0,0,0,0.7)";
    ctx.fillRect(x, ty, tw, th);
    ctx.fillStyle = colour;
    ctx.fillText(label, x + 4, ty + th - 3);
    drawn.push({ kind: item.kind, text: item.text ?? null, translation: item.translation ?? null,
                 box: item.box });
  }
  // What was drawn, for tests and assistive tools that read the DOM.
  view.dataset.frameId = String(ov.frame_id);
  view.dataset.boxes = JSON.stringify(drawn);
  view.setAttribute("aria-description",
    drawn.filter((d) => d.text).map((d) => d.text).join("; ") || "no text seen");
}

async function startCamera() {
  if (camera) return;
  try {
    camera = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
  } catch (err) {
    log(`camera unavailable: ${err.message}`, "error");
    return;
  }
  const video = $("cam");
  video.srcObject = camera;
  await video.play();
  $("camera").disabled = true;
  const paint = () => {
    if (!camera) return;
    view.width = video.videoWidth;
    view.height = video.videoHeight;
    ctx.drawImage(video, 0, 0);
    if (lastOverlay) drawOverlay(lastOverlay);
    requestAnimationFrame(paint);
  };
  requestAnimationFrame(paint);
  setInterval(() => {
    const stale = waitingOverlay && performance.now() - waitingOverlay > 5000;
    if (ready && video.videoWidth && (!waitingOverlay || stale)) {
      sendImage(video, video.videoWidth, video.videoHeight);
    }
  }, CAMERA_INTERVAL_MS);
}

async function sendFile(file) {
  const img = await createImageBitmap(file);
  const go = async () => {
    const id = await sendImage(img, img.width, img.height);
    drawFrame(id);
    log(`sent ${file.name} as frame ${id}`);
  };
  if (ready) await go();
  else document.addEventListener("oculi-ready", go, { once: true });
}

// ---------------------------------------------------------------- push-to-talk
let talkWanted = false, talkOpening = false;

async function talkStart() {
  talkWanted = true;
  if (!ready || capture || talkOpening) return;
  talkOpening = true;
  stopPlayback();
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1 } });
    const actx = new AudioContext({ sampleRate: 16000 });
    await actx.audioWorklet.addModule("/hud/static/pcm-worklet.js");
    const node = new AudioWorkletNode(actx, "pcm-capture");
    node.port.onmessage = (m) => sendPcm(m.data);
    actx.createMediaStreamSource(stream).connect(node);
    if (!talkWanted) { // released while the microphone was opening: no turn
      stream.getTracks().forEach((t) => t.stop());
      actx.close();
      return;
    }
    capture = { stream, actx };
    send({ type: "talk.start" });
    $("talk").classList.add("active");
    hud.talking = true;
    changed();
  } catch (err) {
    log(`microphone unavailable: ${err.message}`, "error");
  } finally {
    talkOpening = false;
  }
}

function talkStop() {
  talkWanted = false;
  if (!capture) return;
  send({ type: "talk.stop" });
  capture.stream.getTracks().forEach((t) => t.stop());
  capture.actx.close();
  capture = null;
  $("talk").classList.remove("active");
  hud.talking = false;
  changed();
}

function sendPcm(float32) {
  const pcm = new Int16Array(float32.length);
  for (let i = 0; i < float32.length; i++) {
    pcm[i] = Math.max(-32768, Math.min(32767, Math.round(float32[i] * 32767)));
  }
  if (ws && ws.readyState === WebSocket.OPEN) {
    ws.send(binary(KIND_AUDIO, { rate: 16000, channels: 1, format: "pcm_s16le",
                                 seq: audioSeq++, t: performance.now() }, pcm.buffer));
  }
}

// ---------------------------------------------------------------- answer audio
function onAudio(msg) {
  if (msg.kind !== KIND_AUDIO) return;
  const pcm = new Int16Array(msg.payload);
  if (!pcm.length) return;
  player = player || new AudioContext();
  const buf = player.createBuffer(1, pcm.length, msg.header.rate);
  const data = buf.getChannelData(0);
  for (let i = 0; i < pcm.length; i++) data[i] = pcm[i] / 32768;
  const src = player.createBufferSource();
  src.buffer = buf;
  src.connect(player.destination);
  playAt = Math.max(playAt, player.currentTime + 0.05);
  src.start(playAt);
  playAt += buf.duration;
  playing.push(src);
  src.onended = () => playing.splice(playing.indexOf(src), 1);
}

function stopPlayback() {
  for (const src of playing.splice(0)) {
    try { src.stop(); } catch (_) { /* already ended */ }
  }
  playAt = 0;
}

// ---------------------------------------------------------------- wiring
$("camera").addEventListener("click", startCamera);
$("confirm-yes").addEventListener("click", () => replyConfirm(true));
$("confirm-no").addEventListener("click", () => replyConfirm(false));
$("file").addEventListener("change", (e) => e.target.files[0] && sendFile(e.target.files[0]));
const talk = $("talk");
talk.addEventListener("pointerdown", talkStart);
talk.addEventListener("pointerup", talkStop);
talk.addEventListener("pointerleave", talkStop);
document.addEventListener("keydown", (e) => { if (e.code === "Space" && !e.repeat) talkStart(); });
document.addEventListener("keyup", (e) => { if (e.code === "Space") talkStop(); });
new MutationObserver(() => {
  if (document.body.dataset.state === "ready") document.dispatchEvent(new Event("oculi-ready"));
}).observe(document.body, { attributes: true, attributeFilter: ["data-state"] });
// For xr.js, tests and assistive tools: the state and the actions the page offers.
window.oculiHud = { state: hud, onEvent, talkStart, talkStop, startCamera, send, log };
connect();
