// A sequence page (sequence.html?seq=<name>): camera video with the 2D keypoints, the 3D skeletons,
// music and beats on one clock. Data: seq/<name>.js (rhythmSequence), seq/<name>/<camera>.js.
"use strict";

const keypoints2d = {};
window.rhythmKeypoints2d = (d) => { keypoints2d[d.camera] = { ...d, ...Rhythm.unpack(d.points) }; };

window.rhythmSequence = (seq) => {
  document.title = "Rhythm · " + seq.sequence;
  document.getElementById("title").textContent = seq.sequence;
  const music = seq.music;
  document.getElementById("about").textContent =
    `${seq.genre} · ${seq.frames} frames at ${seq.fps} fps (${seq.duration_s} s) · music ${music.music}` +
    (music.tempo_bpm ? `, ${music.tempo_bpm.toFixed(1)} BPM tracked` : "") +
    (music.music_bpm ? ` (${music.music_bpm} by its id)` : "");
  const audio = document.getElementById("audio");
  if (music.audio) audio.src = music.audio;
  const duration = Math.max(seq.duration_s, 1 / seq.fps);
  const clock = new Clock(duration, music.audio ? audio : null);
  transport(document.getElementById("transport"), clock, seq.fps);
  const timeline = new Timeline(document.getElementById("timeline-box"), clock);
  timeline.addTicks(music.beat_times, "music-beat", "music beats");
  timeline.addTicks(seq.motion_beats, "motion-beat", `motion beats (${seq.motion_beats_of || "no 3D"})`);

  const view = new SkeletonView(document.getElementById("skeleton3d"), seq.skeletons);
  const video = document.getElementById("video");
  const overlay = document.getElementById("overlay2d");
  const show2d = document.getElementById("show2d");
  const kind = document.getElementById("videoKind");
  let camera = null;
  let showingSource = false; // the 2D keypoints are drawn over the source video only (the overlay has its own)

  const draw2d = (frame) => {
    const ctx = overlay.getContext("2d");
    overlay.width = video.clientWidth || 640;
    overlay.height = video.clientHeight || 360;
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    const kp = camera && keypoints2d[camera.camera];
    if (!show2d.checked || !kp || !showingSource) return;
    const sx = overlay.width / (video.videoWidth || 1920), sy = overlay.height / (video.videoHeight || 1080);
    const [frames, joints] = kp.shape, f = Math.min(frame, frames - 1), base = f * joints * 2;
    ctx.strokeStyle = "#39ff14";
    ctx.lineWidth = 2;
    for (const [a, b] of kp.bones) {
      const ax = kp.data[base + 2 * a], ay = kp.data[base + 2 * a + 1], bx = kp.data[base + 2 * b], by = kp.data[base + 2 * b + 1];
      if ([ax, ay, bx, by].some(Number.isNaN)) continue;
      ctx.beginPath();
      ctx.moveTo(ax * sx, ay * sy);
      ctx.lineTo(bx * sx, by * sy);
      ctx.stroke();
    }
  };

  const pick = async (cam) => {
    camera = cam;
    for (const b of document.querySelectorAll("#cameras button")) b.classList.toggle("active", b.dataset.camera === cam.camera);
    const src = kind.value === "overlay" ? cam.overlay || cam.video : cam.video || cam.overlay;
    showingSource = Boolean(src) && src === cam.video;
    const note = document.getElementById("video-note");
    note.textContent = src ? "" : `no video of ${cam.camera} in this run`;
    if (src) { video.src = src; video.currentTime = clock.time; } else video.removeAttribute("src");
    if (cam.keypoints2d && !keypoints2d[cam.camera]) {
      try { await Rhythm.loadScript(cam.keypoints2d); } catch (e) { Rhythm.showError(e.message); }
    }
    draw2d(Rhythm.frameAt(clock.time, seq.fps));
  };

  const pickers = document.getElementById("cameras");
  for (const cam of seq.cameras) {
    const label = cam.camera + (cam.unsynced ? " ⚠" : "");
    pickers.append(Rhythm.el("button", { "data-camera": cam.camera, class: cam.unsynced ? "unsynced" : "", text: label, title: cam.unsynced ? "flagged unsynced by the reprojection check" : "", onclick: () => pick(cam) }));
  }
  show2d.addEventListener("change", () => draw2d(Rhythm.frameAt(clock.time, seq.fps)));
  kind.addEventListener("change", () => camera && pick(camera));

  clock.onTick((t, playing) => {
    const frame = Math.min(Rhythm.frameAt(t, seq.fps), seq.frames - 1);
    view.draw(frame);
    draw2d(frame);
    if (video.getAttribute("src")) {
      const within = !(video.duration <= t); // a video shorter than the motion stops at its end
      if (playing && within && video.paused && !video.ended) video.play().catch(() => {});
      if ((!playing || !within) && !video.paused) video.pause();
      if (within && Math.abs(video.currentTime - t) > 0.2) video.currentTime = t;
    }
  });

  const errors = document.getElementById("errors");
  const worst = Math.max(1, ...seq.cameras.flatMap((c) => [c.reprojection_px || 0, c.triangulation_px || 0]));
  for (const cam of seq.cameras) {
    const bar = (value, cls, label) => Rhythm.el("div", { class: `bar ${cls}`, style: `width: ${(100 * (value || 0)) / worst}%`, title: `${label}: ${Rhythm.fmt(value)} px` });
    errors.append(Rhythm.el("div", { class: "error-row" + (cam.unsynced ? " unsynced" : "") },
      Rhythm.el("span", { class: "cam", text: cam.camera + (cam.unsynced ? " unsynced" : "") + (cam.dropped ? " dropped" : "") }),
      Rhythm.el("div", { class: "bars" }, bar(cam.reprojection_px, "official", "official keypoints3d reprojected"), bar(cam.triangulation_px, "triangulated", "Rhythm triangulation")),
      Rhythm.el("span", { class: "values", text: `${Rhythm.fmt(cam.reprojection_px)} / ${Rhythm.fmt(cam.triangulation_px)} px` })));
  }
  errors.prepend(Rhythm.el("div", { class: "legend" }, Rhythm.el("span", { class: "key official", text: "official keypoints3d reprojected" }), Rhythm.el("span", { class: "key triangulated", text: "Rhythm triangulation" })));

  window.rhythmPlayer = { clock, view, timeline, seq };
  view.draw(0);
  const first = seq.cameras.find((c) => c.video || c.overlay) || seq.cameras[0];
  (first ? pick(first) : Promise.resolve()).then(() => { clock.emit(); window.rhythmReady = true; });
};

const seqName = Rhythm.param("seq");
if (!seqName) Rhythm.showError("no sequence named: open this page from the table (sequence.html?seq=<name>)");
else Rhythm.loadScript(`seq/${encodeURIComponent(seqName)}.js`).catch(() => Rhythm.showError(`no page data for ${seqName} (seq/${seqName}.js)`));
