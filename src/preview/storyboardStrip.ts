// The preview page's thumbnails: the poster as the video's poster attribute,
// and the storyboard (thumbnails/thumbnails.vtt) as a strip of its tiles, each
// cut from its sprite sheet by the cue's #xywh rectangle, as a player's seek
// preview cuts it. A click seeks to the tile's time; the tile being played is
// marked. What it shows goes to `window.preview.storyboard` for browser tests.

export const STORYBOARD_STYLE = `
  #storyboard { display: flex; gap: 2px; overflow-x: auto; max-width: 960px; margin-top: .5rem; }
  #storyboard div { flex: none; cursor: pointer; outline: 2px solid transparent; outline-offset: -2px; }
  #storyboard div.now { outline-color: #2a6; }`;

/** Page script: a function `showStoryboard(thumbnails, video, state)` taking manifest.json's stream.thumbnails. */
export const STORYBOARD_SCRIPT = `
async function showStoryboard(thumbs, video, state) {
  video.poster = '/stream/' + thumbs.poster;
  const base = '/stream/' + thumbs.storyboard.replace(/[^/]*$/, '');
  const text = await (await fetch('/stream/' + thumbs.storyboard)).text();
  const time = (t) => t.split(':').reduce((sum, part) => sum * 60 + Number(part), 0);
  const cues = [];
  for (const m of text.matchAll(/([\\d:.]+) --> ([\\d:.]+)\\s*\\n(\\S+)#xywh=(\\d+),(\\d+),(\\d+),(\\d+)/g)) {
    cues.push({ start: time(m[1]), end: time(m[2]), sheet: m[3], x: +m[4], y: +m[5], w: +m[6], h: +m[7] });
  }
  const board = { poster: video.poster, tiles: cues.length, sheets: 0, sheetsLoaded: 0 };
  state.storyboard = board;
  const sheets = [...new Set(cues.map((c) => c.sheet))];
  board.sheets = sheets.length;
  for (const s of sheets) { const img = new Image(); img.onload = () => { board.sheetsLoaded++; }; img.src = base + s; }
  const strip = document.getElementById('storyboard');
  const tiles = cues.map((c) => {
    const d = document.createElement('div');
    d.style.width = c.w + 'px'; d.style.height = c.h + 'px';
    d.style.background = 'url(' + base + c.sheet + ') -' + c.x + 'px -' + c.y + 'px';
    d.title = c.start.toFixed(3) + ' s';
    d.onclick = () => { video.currentTime = c.start; };
    strip.appendChild(d);
    return d;
  });
  video.addEventListener('timeupdate', () => {
    const t = video.currentTime;
    cues.forEach((c, i) => tiles[i].classList.toggle('now', t >= c.start && t < c.end));
  });
}`;
