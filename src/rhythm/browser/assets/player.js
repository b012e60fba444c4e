// The players: a clock the music follows, a 3D skeleton view (canvas, orbit and zoom), a timeline
// with beat ticks. Used by the sequence page and the model page.
"use strict";

// The page's time. The music follows it (a blocked or missing audio element never stops it).
class Clock {
  constructor(duration, audio) {
    this.duration = duration;
    this.audio = audio || null;
    this.offset = 0;
    this.started = 0;
    this.playing = false;
    this.listeners = [];
  }
  get time() {
    if (!this.playing) return this.offset;
    return Math.min(this.offset + (performance.now() - this.started) / 1000, this.duration);
  }
  onTick(fn) { this.listeners.push(fn); }
  emit() { const t = this.time; for (const fn of this.listeners) fn(t, this.playing); }
  play() {
    if (this.playing) return;
    if (this.offset >= this.duration) this.offset = 0;
    this.started = performance.now();
    this.playing = true;
    if (this.audio) {
      this.audio.currentTime = this.offset;
      const p = this.audio.play();
      if (p) p.catch(() => {}); // autoplay refused: the clock still runs, silently
    }
    const loop = () => {
      if (!this.playing) return;
      const t = this.time;
      if (t >= this.duration) { this.pause(); this.offset = this.duration; }
      else if (this.audio && !this.audio.paused && Math.abs(this.audio.currentTime - t) > 0.1) this.audio.currentTime = t;
      this.emit();
      if (this.playing) requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
  }
  pause() {
    this.offset = this.time;
    this.playing = false;
    if (this.audio) this.audio.pause();
    this.emit();
  }
  toggle() { if (this.playing) this.pause(); else this.play(); }
  seek(t) {
    this.offset = Math.max(0, Math.min(t, this.duration));
    this.started = performance.now();
    if (this.audio) this.audio.currentTime = this.offset;
    this.emit();
  }
}

// Skeletons side by side (centimetres, y up), each centred on its own place; drag to orbit, wheel to zoom.
class SkeletonView {
  static COLORS = ["#e4572e", "#29335c", "#17bebb", "#f3a712", "#669bbc", "#8e7dbe"];

  constructor(canvas, skeletons) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.skeletons = skeletons.map((s) => this.prepare(s));
    this.yaw = 0.5;
    this.pitch = 0.2;
    this.zoom = 1;
    this.frame = 0;
    this.lastPoints = [];
    let drag = null;
    canvas.addEventListener("mousedown", (e) => { drag = [e.clientX, e.clientY]; });
    window.addEventListener("mouseup", () => { drag = null; });
    window.addEventListener("mousemove", (e) => {
      if (!drag) return;
      this.yaw += (e.clientX - drag[0]) * 0.01;
      this.pitch = Math.max(-1.4, Math.min(1.4, this.pitch + (e.clientY - drag[1]) * 0.01));
      drag = [e.clientX, e.clientY];
      this.draw(this.frame);
    });
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      this.zoom = Math.max(0.3, Math.min(5, this.zoom * Math.exp(-e.deltaY * 0.001)));
      this.draw(this.frame);
    }, { passive: false });
  }

  prepare(skeleton) {
    const { data, shape } = Rhythm.unpack(skeleton.joints);
    const [frames, joints] = shape;
    let cx = 0, cz = 0, n = 0, floor = Infinity;
    for (let i = 0; i < data.length; i += 3) {
      if (Number.isNaN(data[i])) continue;
      cx += data[i]; cz += data[i + 2]; n++;
      floor = Math.min(floor, data[i + 1]);
    }
    return { label: skeleton.label, bones: skeleton.bones, data, frames, joints, cx: cx / n, cz: cz / n, floor };
  }

  project(x, y, z) {
    const cy = Math.cos(this.yaw), sy = Math.sin(this.yaw), cp = Math.cos(this.pitch), sp = Math.sin(this.pitch);
    const x1 = cy * x + sy * z, z1 = -sy * x + cy * z;
    const y2 = cp * y - sp * z1, z2 = sp * y + cp * z1;
    const distance = 700 / this.zoom, f = this.canvas.height * 2.2;
    const w = distance + z2;
    return [this.canvas.width / 2 + (f * x1) / w, this.canvas.height * 0.62 - (f * (y2 - 80)) / w];
  }

  draw(frame) {
    this.frame = frame;
    const ctx = this.ctx, n = this.skeletons.length, spacing = 140;
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.strokeStyle = "#d8d8d8";
    ctx.lineWidth = 1;
    const half = (n * spacing) / 2 + 60;
    for (let g = -half; g <= half + 1; g += 40) { // the floor
      this.line(this.project(g, 0, -160), this.project(g, 0, 160));
    }
    for (let g = -160; g <= 160; g += 40) this.line(this.project(-half, 0, g), this.project(half, 0, g));
    this.lastPoints = [];
    this.skeletons.forEach((s, k) => {
      const f = Math.min(frame, s.frames - 1), base = f * s.joints * 3, dx = (k - (n - 1) / 2) * spacing;
      const pts = [];
      for (let j = 0; j < s.joints; j++) {
        const x = s.data[base + 3 * j], y = s.data[base + 3 * j + 1], z = s.data[base + 3 * j + 2];
        pts.push(Number.isNaN(x) ? null : this.project(x - s.cx + dx, y - s.floor, z - s.cz));
      }
      ctx.strokeStyle = SkeletonView.COLORS[k % SkeletonView.COLORS.length];
      ctx.lineWidth = 3;
      for (const [a, b] of s.bones) if (pts[a] && pts[b]) this.line(pts[a], pts[b]);
      ctx.fillStyle = ctx.strokeStyle; // the legend, left to right as on the floor
      ctx.font = "13px sans-serif";
      ctx.fillText(`■ ${s.label}`, 10, 20 + 18 * k);
      this.lastPoints.push(pts);
    });
  }

  line(a, b) {
    this.ctx.beginPath();
    this.ctx.moveTo(a[0], a[1]);
    this.ctx.lineTo(b[0], b[1]);
    this.ctx.stroke();
  }
}

// A strip under the players: ticks at beat times, a cursor at the clock's time; click to seek.
class Timeline {
  constructor(container, clock) {
    this.clock = clock;
    this.strip = Rhythm.el("div", { class: "timeline" });
    this.cursor = Rhythm.el("div", { class: "cursor" });
    this.strip.append(this.cursor);
    this.legend = Rhythm.el("div", { class: "legend" });
    container.append(this.strip, this.legend);
    this.strip.addEventListener("click", (e) => {
      const r = this.strip.getBoundingClientRect();
      clock.seek(((e.clientX - r.left) / r.width) * clock.duration);
    });
    clock.onTick((t) => { this.cursor.style.left = `${(100 * t) / clock.duration}%`; });
  }
  addTicks(times, kind, label) {
    for (const t of times) {
      if (t > this.clock.duration) continue;
      this.strip.append(Rhythm.el("div", { class: `tick ${kind}`, "data-time": t, style: `left: ${(100 * t) / this.clock.duration}%`, title: `${label} ${t.toFixed(2)} s` }));
    }
    this.legend.append(Rhythm.el("span", { class: `key ${kind}`, text: `${label} (${times.length})` }));
  }
}

// Play/pause, time read-out and a slider for a clock.
function transport(container, clock, fps) {
  const button = Rhythm.el("button", { class: "play", text: "▶ play", onclick: () => clock.toggle() });
  const slider = Rhythm.el("input", { type: "range", min: 0, max: clock.duration, step: 1 / fps, value: 0 });
  slider.addEventListener("input", () => clock.seek(Number(slider.value)));
  const readout = Rhythm.el("span", { class: "readout" });
  container.append(button, slider, readout);
  clock.onTick((t, playing) => {
    button.textContent = playing ? "❚❚ pause" : "▶ play";
    slider.value = t;
    readout.textContent = `${t.toFixed(2)} s · frame ${Rhythm.frameAt(t, fps)}`;
  });
}
