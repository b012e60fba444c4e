// A model run's page (data.js calls rhythmModel): per test track a 3D player of the generated dance
// and the ground-truth dances of its music, the music's and the dance's beats; then report.md.
"use strict";

window.rhythmModel = (model) => {
  document.getElementById("run").textContent = model.run;
  document.title = "Rhythm · model " + model.run;
  const box = document.getElementById("tracks");
  const players = [];
  if (!model.tracks.length) box.append(Rhythm.el("p", { class: "note", text: "no generated dance in this run" }));
  for (const track of model.tracks) {
    const music = track.music;
    const section = Rhythm.el("section", { class: "track", "data-music": music.music });
    const title = Rhythm.el("h2", { text: `${music.music}` + (music.tempo_bpm ? ` · ${music.tempo_bpm.toFixed(1)} BPM` : "") });
    const audio = Rhythm.el("audio", { preload: "auto" });
    if (music.audio) audio.src = music.audio;
    const bar = Rhythm.el("div", { class: "transport" });
    const canvas = Rhythm.el("canvas", { width: 960, height: 420, class: "skeleton3d" });
    const links = Rhythm.el("p", { class: "note" });
    if (track.video) links.append(Rhythm.el("a", { href: track.video, text: "rendered video (MP4)" }));
    section.append(title, bar, canvas, links, audio);
    box.append(section);
    const duration = Math.max(track.frames / track.fps, 1 / track.fps);
    const clock = new Clock(duration, music.audio ? audio : null);
    transport(bar, clock, track.fps);
    const timeline = new Timeline(section, clock);
    timeline.addTicks(music.beat_times, "music-beat", "music beats");
    timeline.addTicks(track.motion_beats || [], "motion-beat", "generated dance's motion beats");
    const view = new SkeletonView(canvas, track.skeletons);
    clock.onTick((t) => view.draw(Math.min(Rhythm.frameAt(t, track.fps), track.frames - 1)));
    view.draw(0);
    players.push({ clock, view, timeline, track });
  }
  document.getElementById("report").innerHTML = model.report_html;
  window.rhythmPlayers = players;
  window.rhythmPlayer = players[0];
  window.rhythmReady = true;
};
