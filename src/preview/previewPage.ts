// The page `shardflow preview` serves: plays the package with hls.js (HLS) or
// dash.js (DASH), shows the ladder from manifest.json and lets a person pick
// a rung (or automatic switching) and a subtitle track, or none. What it plays and every media error go to
// `window.preview`, so a browser test can read what a person would see.
import { STORYBOARD_SCRIPT, STORYBOARD_STYLE } from './storyboardStrip';

export function previewPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>shardflow preview</title>
<link rel="icon" href="data:,">
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5rem; background: #111; color: #eee; }
  video { width: 100%; max-width: 960px; background: #000; display: block; }
  table { border-collapse: collapse; margin-top: 1rem; }
  td, th { padding: .25rem .75rem; border-bottom: 1px solid #333; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  button { margin: .5rem .25rem 0 0; padding: .3rem .8rem; background: #333; color: #eee; border: 1px solid #555; border-radius: 4px; cursor: pointer; }
  button.on { background: #2a6; border-color: #2a6; }
  #status { margin-top: .5rem; color: #9c9; }
  #errors { color: #f66; white-space: pre-wrap; }${STORYBOARD_STYLE}
  select { margin: .5rem .25rem 0 0; padding: .3rem; background: #333; color: #eee; border: 1px solid #555; border-radius: 4px; }
</style>
</head>
<body>
<h1>shardflow preview</h1>
<div><span>format:</span> <button id="fmt-hls">HLS (hls.js)</button><button id="fmt-dash">DASH (dash.js)</button></div>
<video id="video" controls muted playsinline></video>
<div id="storyboard"></div>
<div id="rungs"><span>rung:</span> <button id="rung-auto" class="on">auto</button></div>
<div id="subtitles" hidden><label for="subtitle-select">subtitles:</label> <select id="subtitle-select"><option value="-1">off</option></select></div>
<div id="status"></div>
<table id="ladder"><thead><tr><th>rung</th><th>resolution</th><th>frame rate</th><th>peak kbit/s</th><th>average kbit/s</th><th>codecs</th><th>segments</th></tr></thead><tbody></tbody></table>
<div id="errors"></div>
<script src="/vendor/hls.min.js"></script>
<script src="/vendor/dash.all.min.js"></script>
<script>${STORYBOARD_SCRIPT}
(async () => {
  const params = new URLSearchParams(location.search);
  const format = params.get('format') === 'dash' ? 'dash' : 'hls';
  const video = document.getElementById('video');
  const state = window.preview = { format, errors: [], heights: [], rung: 'auto', ended: false, ready: false, rungs: [], subtitles: [], subtitle: -1 };
  const error = (what) => { state.errors.push(String(what)); document.getElementById('errors').textContent = state.errors.join('\\n'); };
  document.getElementById('fmt-' + format).classList.add('on');
  for (const f of ['hls', 'dash']) document.getElementById('fmt-' + f).onclick = () => { location.search = '?format=' + f; };

  const manifest = await (await fetch('/stream/manifest.json')).json();
  const rungs = manifest.stream.rungs;
  state.rungs = rungs.map((r) => ({ name: r.name, width: r.width, height: r.height }));
  const tbody = document.querySelector('#ladder tbody');
  for (const r of rungs) {
    const tr = document.createElement('tr');
    for (const v of [r.name, r.width + 'x' + r.height, r.frameRate, Math.round(r.bandwidth / 1000), Math.round(r.averageBandwidth / 1000), r.codecs, r.segments]) {
      const td = document.createElement('td'); td.textContent = String(v); tr.appendChild(td);
    }
    tbody.appendChild(tr);
  }
  if (manifest.stream.thumbnails) await showStoryboard(manifest.stream.thumbnails, video, state);

  // Subtitle tracks as the player lists them ({ name, lang }); showSubtitle(i) turns track i on, -1 all off.
  const select = document.getElementById('subtitle-select');
  let showSubtitle = () => {};
  const listSubtitles = (tracks) => {
    state.subtitles = tracks;
    document.getElementById('subtitles').hidden = tracks.length === 0;
    select.replaceChildren(select.options[0]);
    tracks.forEach((t, i) => { const o = document.createElement('option'); o.value = String(i); o.textContent = t.name + (t.lang ? ' (' + t.lang + ')' : ''); select.appendChild(o); });
    select.value = String(state.subtitle);
  };
  const chooseSubtitle = (i) => { state.subtitle = i; select.value = String(i); showSubtitle(i); };
  select.onchange = () => chooseSubtitle(Number(select.value));
  window.previewSubtitle = chooseSubtitle;

  let pick;
  if (format === 'hls') {
    if (!Hls.isSupported()) error('this browser has no Media Source Extensions for hls.js');
    const hls = new Hls({ capLevelToPlayerSize: false });
    hls.on(Hls.Events.ERROR, (_e, d) => { if (d.fatal || d.type === Hls.ErrorTypes.MEDIA_ERROR) error('hls.js ' + d.type + ': ' + d.details); });
    hls.loadSource('/stream/master.m3u8');
    hls.attachMedia(video);
    // hls.js levels keep the master playlist's order, which is the ladder's.
    pick = (i) => { if (i < 0) hls.currentLevel = -1; else hls.currentLevel = hls.levels.findIndex((l) => l.height === rungs[i].height); };
    hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, (_e, d) => listSubtitles(d.subtitleTracks.map((t) => ({ name: t.name, lang: t.lang }))));
    hls.on(Hls.Events.SUBTITLE_TRACK_SWITCH, (_e, d) => { state.subtitle = d.id; select.value = String(d.id); });
    showSubtitle = (i) => { hls.subtitleDisplay = i >= 0; hls.subtitleTrack = i; };
    state.player = hls;
  } else {
    const player = dashjs.MediaPlayer().create();
    player.on(dashjs.MediaPlayer.events.ERROR, (e) => error('dash.js ' + JSON.stringify(e.error || e).slice(0, 300)));
    player.on(dashjs.MediaPlayer.events.PLAYBACK_ERROR, (e) => error('dash.js playback ' + JSON.stringify(e.error || e).slice(0, 300)));
    player.initialize(video, '/stream/manifest.mpd', false);
    pick = (i) => {
      player.updateSettings({ streaming: { abr: { autoSwitchBitrate: { video: i < 0 } } } });
      if (i >= 0) player.setRepresentationForTypeById('video', rungs[i].name, true);
    };
    player.on(dashjs.MediaPlayer.events.STREAM_INITIALIZED, () => {
      const tracks = player.getTracksFor('text');
      listSubtitles(tracks.map((t) => ({ name: (t.labels && t.labels[0] && t.labels[0].text) || t.lang, lang: t.lang })));
      if (tracks.length > 0) showSubtitle(state.subtitle);
    });
    showSubtitle = (i) => {
      player.enableText(i >= 0);
      if (i >= 0) player.setTextTrack(i);
    };
    state.player = player;
  }
  const buttons = [document.getElementById('rung-auto')];
  const choose = (i) => {
    pick(i);
    state.rung = i < 0 ? 'auto' : rungs[i].name;
    buttons.forEach((b, j) => b.classList.toggle('on', j === i + 1));
  };
  buttons[0].onclick = () => choose(-1);
  rungs.forEach((r, i) => {
    const b = document.createElement('button'); b.textContent = r.name; b.id = 'rung-' + r.name; b.onclick = () => choose(i);
    document.getElementById('rungs').appendChild(b); buttons.push(b);
  });
  window.previewChoose = choose;

  video.addEventListener('error', () => error('video element: ' + (video.error ? video.error.code + ' ' + video.error.message : 'unknown')));
  const status = () => {
    const h = video.videoHeight;
    if (h && state.heights[state.heights.length - 1] !== h) state.heights.push(h);
    document.getElementById('status').textContent = format.toUpperCase() + ' · showing ' + (h ? video.videoWidth + 'x' + h : '-') + ' · rung ' + state.rung + ' · ' + video.currentTime.toFixed(3) + ' / ' + (video.duration || 0).toFixed(3) + ' s';
  };
  for (const ev of ['timeupdate', 'resize', 'loadedmetadata']) video.addEventListener(ev, status);
  video.addEventListener('canplay', () => { state.ready = true; }, { once: true });
  const finish = () => {
    if (state.ended || !video.ended) return;
    state.ended = true;
    state.endTime = video.currentTime;
    state.duration = video.duration;
    const ranges = [];
    for (let i = 0; i < video.played.length; i++) ranges.push([video.played.start(i), video.played.end(i)]);
    state.played = ranges;
    status();
  };
  // A player that pauses just short of the end and then steps onto it leaves the element ended without an
  // 'ended' event (it fires only when playing reaches the end), so every event that can bring it there checks.
  for (const ev of ['ended', 'pause', 'seeked', 'timeupdate']) video.addEventListener(ev, finish);
})().catch((e) => { (window.preview = window.preview || { errors: [] }).errors.push('page: ' + e.message); document.getElementById('errors').textContent = 'page: ' + e.message; });
</script>
</body>
</html>
`;
}
