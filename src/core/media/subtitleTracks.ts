// Which of a source's subtitle streams a streaming package carries: text
// subtitles become WebVTT renditions (one folder each), bitmap ones cannot be
// turned into text and are listed as skipped with the reason. Also the names
// players show: an RFC 5646 language tag and a unique track name. Pure.
import type { SubtitleInfo } from './mediaInfo';

/** Codecs ffmpeg's WebVTT encoder takes (text turned into ASS events by their decoders). */
const TEXT_CODECS = new Set(['subrip', 'srt', 'ass', 'ssa', 'mov_text', 'webvtt', 'text', 'microdvd', 'subviewer', 'subviewer1', 'sami', 'realtext', 'stl', 'jacosub', 'mpl2', 'pjs', 'vplayer']);
/** Pictures of text: no text to put in a cue without OCR. */
const BITMAP_CODECS = new Set(['hdmv_pgs_subtitle', 'dvd_subtitle', 'dvb_subtitle', 'xsub', 'dvb_teletext', 'arib_caption']);

/** One text subtitle track of the package. */
export interface SubtitleTrackSpec extends SubtitleInfo {
  /** Folder of the track in the package ("sub-0"), also its DASH Representation id. */
  name: string;
  /** What players list the track as, unique within the package. */
  label: string;
  /** RFC 5646 language tag ("en"); "und" when the source does not say. */
  lang: string;
}

export interface SkippedSubtitle {
  index: number;
  codec: string;
  language?: string;
  title?: string;
  reason: string;
}

export interface SubtitlePlan {
  tracks: SubtitleTrackSpec[];
  skipped: SkippedSubtitle[];
}

// ISO 639-2 (bibliographic and terminology codes) to ISO 639-1, for the languages subtitles come in most often.
// RFC 5646 wants the two-letter code where there is one; a three-letter code without one is kept as it is.
const TWO_LETTER: Record<string, string> = {
  eng: 'en', fre: 'fr', fra: 'fr', ger: 'de', deu: 'de', spa: 'es', ita: 'it', por: 'pt', rus: 'ru', jpn: 'ja', chi: 'zh', zho: 'zh',
  kor: 'ko', ara: 'ar', hin: 'hi', dut: 'nl', nld: 'nl', swe: 'sv', nor: 'no', nob: 'nb', nno: 'nn', dan: 'da', fin: 'fi', pol: 'pl',
  tur: 'tr', gre: 'el', ell: 'el', heb: 'he', cze: 'cs', ces: 'cs', hun: 'hu', ukr: 'uk', tha: 'th', vie: 'vi', ind: 'id', may: 'ms',
  msa: 'ms', rum: 'ro', ron: 'ro', bul: 'bg', hrv: 'hr', srp: 'sr', slo: 'sk', slk: 'sk', slv: 'sl', cat: 'ca', per: 'fa', fas: 'fa',
  ice: 'is', isl: 'is', est: 'et', lav: 'lv', lit: 'lt', baq: 'eu', eus: 'eu', glg: 'gl', tam: 'ta', tel: 'te', ben: 'bn', urd: 'ur',
};

/** The RFC 5646 tag for a container's language code: "eng" → "en", "pt-BR" stays, none → "und". */
export function languageTag(language: string | undefined): string {
  if (!language) return 'und';
  const code = language.trim();
  if (!/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/.test(code)) return 'und';
  const [primary, ...rest] = code.split('-');
  return [TWO_LETTER[primary.toLowerCase()] ?? primary.toLowerCase(), ...rest].join('-');
}

export function isTextSubtitle(codec: string): boolean {
  return TEXT_CODECS.has(codec);
}

/** The tracks to convert and the ones left out, in source order. */
export function planSubtitles(subtitles: SubtitleInfo[] | undefined): SubtitlePlan {
  const tracks: SubtitleTrackSpec[] = [];
  const skipped: SkippedSubtitle[] = [];
  const labels = new Set<string>();
  for (const s of subtitles ?? []) {
    if (!isTextSubtitle(s.codec)) {
      const reason = BITMAP_CODECS.has(s.codec)
        ? `${s.codec} subtitles are pictures of text; WebVTT needs the text itself`
        : `${s.codec} is not a text subtitle format WebVTT can be made from`;
      skipped.push({ index: s.index, codec: s.codec, language: s.language, title: s.title, reason });
      continue;
    }
    const lang = languageTag(s.language);
    // A label goes into an HLS quoted string: no double quote, no line break.
    const title = [...(s.title ?? '')].map((ch) => (ch === '"' || ch.charCodeAt(0) < 0x20 ? ' ' : ch)).join('').trim();
    const base = title || (lang === 'und' ? `Subtitles ${tracks.length + 1}` : lang);
    let label = base;
    for (let n = 2; labels.has(label); n++) label = `${base} (${n})`;
    labels.add(label);
    tracks.push({ ...s, name: `sub-${tracks.length}`, label, lang });
  }
  return { tracks, skipped };
}
