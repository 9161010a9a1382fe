// oculi in an XR headset: "Enter AR" on /hud opens an immersive-ar session (immersive-vr with
// a dark background where only VR is offered) and draws one panel with plain WebGL2 that
// follows the head lazily (it stays put until you turn away, then glides back in front) — Quest Browser has no dom-overlay, so the panel is a texture painted with a 2-D
// canvas. It shows what hud.js keeps in `oculiHud.state`: what the wearer said, the streamed
// answer, tool activity, reminders, the memory-on indicator and what the newest frame shows.
// Input: select (trigger or pinch) held on the right hand = push-to-talk; a select on the
// left hand or a squeeze (grip) leaves XR. Leaving XR returns to the 2-D page, socket open.
// A tool's confirmation question is shown on the panel but answered only on the 2-D page:
// a select is also push-to-talk, so it must never mean "yes".
"use strict";
(() => {
  const TEX_W = 1024, TEX_H = 768;   // panel texture, pixels
  const PANEL_W = 0.64;              // panel width, metres: ~36° wide at 1 m, ~40 px a letter
  const PANEL_DIST = 1.0, PANEL_DROP = 0.1; // 1 m ahead, a little below the eyes
  // Lazy follow: the panel moves once it is this far off (angle, metres), at this rate (1/s).
  const FOLLOW_ANGLE = 0.35, FOLLOW_SHIFT = 0.25, FOLLOW_RATE = 3.0;
  const PAD = 28, FONT = "system-ui, sans-serif";
  const VR_BACKGROUND = [4, 5, 8, 1]; // near black, a shade darker than the panel's card
  const STYLE = {
    head: { size: 30, colour: "#9cf" }, memory: { size: 30, colour: "#ff5a5a" },
    you: { size: 36, colour: "#9cf" }, answer: { size: 44, colour: "#fff" },
    tool: { size: 30, colour: "#b8c8ff" }, note: { size: 34, colour: "#fc6" },
    ask: { size: 36, colour: "#fc6" }, seen: { size: 32, colour: "#28c83c" },
    talk: { size: 34, colour: "#f66" },
  };

  const api = window.oculiHud;
  const button = document.getElementById("xr");
  const paper = document.createElement("canvas");
  paper.width = TEX_W;
  paper.height = TEX_H;
  const pen = paper.getContext("2d");
  // What the panel shows, for tests and assistive tools: `lines` are the drawn text lines.
  const xr = { mode: null, session: null, lines: [], frames: 0, drawn: -1, probe: null,
               probePanel, enter, exit };
  window.oculiXR = xr;
  let gl = null, prog = null, tex = null, vao = null, space = null;

  // ------------------------------------------------------------ the panel's content
  function sections(s) {
    const out = [];
    const memory = s.memory === true ? "● memory on" : s.memory === false ? "memory off" : "";
    out.push({ style: "head", text: `oculi — ${s.status}`, right: memory });
    if (s.talking) out.push({ style: "talk", text: "● listening — release to send" });
    if (s.heard) out.push({ style: "you", text: `You: ${s.heard}` });
    if (s.answer) out.push({ style: "answer", text: s.answer, keep: 5 });
    for (const c of s.confirms.slice(0, 1)) {
      out.push({ style: "ask", text: `? ${c.question}` });
      out.push({ style: "ask", text: "Answer Yes or No on the page: leave XR with the left trigger or a grip." });
    }
    for (const n of s.notifications.slice(-2)) out.push({ style: "note", text: n.line });
    for (const t of s.tools.slice(-2)) out.push({ style: "tool", text: t.line, keep: 1 });
    if (s.items.length) out.push({ style: "seen", text: `Seen: ${s.items.slice(0, 8).join(" · ")}`, keep: 2 });
    return out;
  }

  function wrap(text, width) {
    const words = String(text).split(/\s+/).filter(Boolean);
    const lines = [];
    let line = "";
    for (const word of words) {
      const next = line ? `${line} ${word}` : word;
      if (line && pen.measureText(next).width > width) {
        lines.push(line);
        line = word;
      } else {
        line = next;
      }
    }
    if (line) lines.push(line);
    return lines;
  }

  // Lays the sections out; with `draw` false only measures, so the card can fit its text.
  function layout(state, draw) {
    pen.textBaseline = "top";
    const drawn = [];
    let y = PAD;
    for (const sec of sections(state)) {
      const st = STYLE[sec.style];
      pen.font = `${sec.style === "answer" ? 600 : 400} ${st.size}px ${FONT}`;
      let lines = wrap(sec.text, TEX_W - 2 * PAD - (sec.right ? 260 : 0));
      if (sec.keep && lines.length > sec.keep) {
        // the newest words matter most: a long answer scrolls, a long tool line is cut
        lines = sec.style === "answer" ? lines.slice(-sec.keep) : lines.slice(0, sec.keep);
      }
      for (const line of lines) {
        if (y + st.size > TEX_H - PAD) break;
        if (draw) {
          pen.fillStyle = st.colour;
          pen.fillText(line, PAD, y);
        }
        drawn.push(line);
        y += Math.round(st.size * 1.25);
      }
      if (sec.right) {
        if (draw) {
          pen.font = `700 ${STYLE.memory.size}px ${FONT}`;
          pen.fillStyle = state.memory ? STYLE.memory.colour : "#888";
          pen.textAlign = "right";
          pen.fillText(sec.right, TEX_W - PAD, PAD);
          pen.textAlign = "left";
        }
        drawn.push(sec.right);
      }
      y += 8;
    }
    return { drawn, bottom: Math.min(TEX_H, y + PAD) };
  }

  function paint(state) {
    pen.clearRect(0, 0, TEX_W, TEX_H);
    // the card is as tall as its text (at least a third of the panel): less of the room hidden
    const height = Math.max(TEX_H / 3, layout(state, false).bottom);
    pen.fillStyle = "rgba(12, 14, 20, 0.84)";
    pen.strokeStyle = "rgba(150, 200, 255, 0.9)";
    pen.lineWidth = 4;
    pen.beginPath();
    pen.roundRect(2, 2, TEX_W - 4, height - 4, 28);
    pen.fill();
    pen.stroke();
    xr.lines = layout(state, true).drawn;
  }

  // ------------------------------------------------------------ WebGL2
  const VS = `#version 300 es
  in vec2 pos;
  uniform mat4 mvp;
  out vec2 uv;
  void main() { uv = vec2(pos.x + 0.5, 0.5 - pos.y); gl_Position = mvp * vec4(pos, 0.0, 1.0); }`;
  const FS = `#version 300 es
  precision mediump float;
  in vec2 uv;
  uniform sampler2D tex;
  out vec4 colour;
  void main() { colour = texture(tex, uv); }`;

  function shader(type, src) {
    const s = gl.createShader(type);
    gl.shaderSource(s, src);
    gl.compileShader(s);
    if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s));
    return s;
  }

  function initGL() {
    if (gl) return;
    const canvas = document.createElement("canvas");
    gl = canvas.getContext("webgl2", { xrCompatible: true, alpha: true, antialias: true });
    if (!gl) throw new Error("this browser has no WebGL2");
    prog = gl.createProgram();
    gl.attachShader(prog, shader(gl.VERTEX_SHADER, VS));
    gl.attachShader(prog, shader(gl.FRAGMENT_SHADER, FS));
    gl.linkProgram(prog);
    if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) throw new Error(gl.getProgramInfoLog(prog));
    vao = gl.createVertexArray();
    gl.bindVertexArray(vao);
    const buf = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, buf);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-0.5, -0.5, 0.5, -0.5, -0.5, 0.5, 0.5, 0.5]),
                  gl.STATIC_DRAW);
    const loc = gl.getAttribLocation(prog, "pos");
    gl.enableVertexAttribArray(loc);
    gl.vertexAttribPointer(loc, 2, gl.FLOAT, false, 0, 0);
    tex = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, tex);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR_MIPMAP_LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  }

  function upload() {
    paint(api.state);
    gl.bindTexture(gl.TEXTURE_2D, tex);
    gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, true); // blended as premultiplied
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, paper);
    gl.generateMipmap(gl.TEXTURE_2D);
    xr.drawn = api.state.version;
  }

  // column-major 4×4 product, as WebXR hands out its matrices
  function mul(a, b) {
    const o = new Float32Array(16);
    for (let c = 0; c < 4; c++) {
      for (let r = 0; r < 4; r++) {
        let v = 0;
        for (let k = 0; k < 4; k++) v += a[k * 4 + r] * b[c * 4 + k];
        o[c * 4 + r] = v;
      }
    }
    return o;
  }

  const PANEL_H = PANEL_W * TEX_H / TEX_W;
  let anchor = null, moving = false, lastT = 0; // the panel in the reference space

  // Where the panel should be: ahead of the head on the level, facing it.
  function target(pose) {
    const m = pose.transform.matrix;
    let fx = -m[8], fz = -m[10];
    const len = Math.hypot(fx, fz);
    if (len < 0.2) { // looking straight up or down: the level forward is undefined
      if (anchor) return anchor;
      fx = 0; fz = -1;
    } else {
      fx /= len; fz /= len;
    }
    return { x: m[12] + fx * PANEL_DIST, y: m[13] - PANEL_DROP, z: m[14] + fz * PANEL_DIST,
             yaw: Math.atan2(-fx, -fz) };
  }

  function follow(pose, t) {
    const goal = target(pose);
    const dt = lastT ? Math.min(0.1, (t - lastT) / 1000) : 0;
    lastT = t;
    if (!anchor) {
      anchor = { ...goal };
      return;
    }
    let dyaw = goal.yaw - anchor.yaw;
    dyaw = Math.atan2(Math.sin(dyaw), Math.cos(dyaw)); // the short way round
    const shift = Math.hypot(goal.x - anchor.x, goal.y - anchor.y, goal.z - anchor.z);
    if (Math.abs(dyaw) > FOLLOW_ANGLE || shift > FOLLOW_SHIFT) moving = true;
    if (!moving) return;
    const k = 1 - Math.exp(-FOLLOW_RATE * dt);
    anchor.x += (goal.x - anchor.x) * k;
    anchor.y += (goal.y - anchor.y) * k;
    anchor.z += (goal.z - anchor.z) * k;
    anchor.yaw += dyaw * k;
    if (shift < 0.01 && Math.abs(dyaw) < 0.01) moving = false;
  }

  // The panel's model matrix: translate × rotate about the vertical × scale to metres.
  function model() {
    const c = Math.cos(anchor.yaw), s = Math.sin(anchor.yaw);
    return new Float32Array([c * PANEL_W, 0, -s * PANEL_W, 0, 0, PANEL_H, 0, 0, s, 0, c, 0,
                             anchor.x, anchor.y, anchor.z, 1]);
  }

  function onFrame(t, frame) {
    const session = frame.session;
    session.requestAnimationFrame(onFrame);
    const layer = session.renderState.baseLayer;
    const pose = frame.getViewerPose(space);
    gl.bindFramebuffer(gl.FRAMEBUFFER, layer.framebuffer);
    const opaque = session.environmentBlendMode === "opaque"; // VR: no passthrough behind
    const bg = opaque ? VR_BACKGROUND : [0, 0, 0, 0];
    gl.clearColor(bg[0] / 255, bg[1] / 255, bg[2] / 255, bg[3]);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    if (!pose) return;
    follow(pose, t);
    const panel = model();
    if (xr.drawn !== api.state.version) upload();
    gl.useProgram(prog);
    gl.bindVertexArray(vao);
    gl.bindTexture(gl.TEXTURE_2D, tex);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    const mvpLoc = gl.getUniformLocation(prog, "mvp");
    for (const view of pose.views) {
      const vp = layer.getViewport(view);
      gl.viewport(vp.x, vp.y, vp.width, vp.height);
      gl.uniformMatrix4fv(mvpLoc, false,
                          mul(view.projectionMatrix, mul(view.transform.inverse.matrix, panel)));
      gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
    }
    xr.frames++;
    if (xr.probe) {
      const { resolve } = xr.probe;
      xr.probe = null;
      resolve(readBack(layer, opaque));
    }
  }

  // How much of the XR framebuffer the panel covers, read back in the frame it was drawn in.
  function readBack(layer, opaque) {
    const w = layer.framebufferWidth, hgt = layer.framebufferHeight;
    const px = new Uint8Array(w * hgt * 4);
    gl.readPixels(0, 0, w, hgt, gl.RGBA, gl.UNSIGNED_BYTE, px);
    let panel = 0, bright = 0, x0 = w, y0 = hgt, x1 = -1, y1 = -1;
    for (let i = 0; i < px.length; i += 4) {
      const covered = opaque
        ? Math.abs(px[i] - VR_BACKGROUND[0]) + Math.abs(px[i + 1] - VR_BACKGROUND[1])
          + Math.abs(px[i + 2] - VR_BACKGROUND[2]) > 9
        : px[i + 3] > 0;
      if (covered) {
        panel++;
        const x = (i / 4) % w, y = hgt - 1 - Math.floor(i / 4 / w); // rows count from the bottom
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
      if (px[i] > 200 && px[i + 1] > 200 && px[i + 2] > 200) bright++;
    }
    return { width: w, height: hgt, panel, bright, box: panel ? [x0, y0, x1 + 1, y1 + 1] : null };
  }

  function probePanel() {
    return new Promise((resolve) => { xr.probe = { resolve }; });
  }

  // ------------------------------------------------------------ session
  async function enter() {
    if (xr.session || !xr.mode) return;
    button.disabled = true;
    try {
      // Quest Browser: the camera stream is opened before the session, and permission prompts
      // cannot show inside it, so the microphone is asked for now too (and closed again).
      await api.startCamera();
      await askMicrophone();
      initGL();
      const session = await navigator.xr.requestSession(xr.mode);
      await gl.makeXRCompatible();
      session.updateRenderState({ baseLayer: new XRWebGLLayer(session, gl, { alpha: true }) });
      // 'local' lets the panel stay put while the head turns; 'viewer' (head-locked) if not
      space = await session.requestReferenceSpace("local")
        .catch(() => session.requestReferenceSpace("viewer"));
      session.addEventListener("selectstart", (e) => {
        if (e.inputSource.handedness === "left") session.end();
        else api.talkStart();
      });
      session.addEventListener("selectend", (e) => {
        if (e.inputSource.handedness !== "left") api.talkStop();
      });
      session.addEventListener("squeezestart", () => session.end());
      session.addEventListener("end", onEnd);
      xr.session = session;
      xr.drawn = -1;
      anchor = null;
      moving = false;
      lastT = 0;
      document.body.dataset.xr = xr.mode;
      button.textContent = "Exit XR";
      session.requestAnimationFrame(onFrame);
    } catch (err) {
      api.log(`XR unavailable: ${err.message} (press the button again)`, "error");
    } finally {
      button.disabled = false;
    }
  }

  async function askMicrophone() {
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1 } });
      stream.getTracks().forEach((t) => t.stop());
    } catch (err) {
      api.log(`microphone unavailable: ${err.message}`, "error");
    }
  }

  function onEnd() {
    api.talkStop(); // a held trigger is released when the session goes
    xr.session = null;
    xr.probe = null;
    document.body.dataset.xr = "off";
    button.textContent = xr.mode === "immersive-ar" ? "Enter AR" : "Enter VR";
  }

  function exit() {
    if (xr.session) return xr.session.end();
    return Promise.resolve();
  }

  async function detect() {
    if (!navigator.xr) return;
    for (const mode of ["immersive-ar", "immersive-vr"]) {
      try {
        if (await navigator.xr.isSessionSupported(mode)) {
          xr.mode = mode;
          break;
        }
      } catch (_) { /* not offered: try the next */ }
    }
    if (!xr.mode) return;
    button.textContent = xr.mode === "immersive-ar" ? "Enter AR" : "Enter VR";
    button.hidden = false;
    document.body.dataset.xr = "off";
  }

  button.addEventListener("click", () => (xr.session ? exit() : enter()));
  detect();
})();
