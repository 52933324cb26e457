// Streaming output: measures every rung and the audio group from their stored
// segments and writes the HLS playlists and the DASH MPD into the work area.
// Runs after every shard is encoded; nothing reaches the output before
// verifyStream has read the package back and publish copies it, playlists last.
import { permanentError, ErrorType } from '../core/errors';
import type { PackageStreamInput, PackageStreamResult, StreamTrackReport } from '../core/contracts';
import { outputSize } from '../media/ffmpegArgs';
import { parseRational, toNumber } from '../core/media/rational';
import { videoCodecString } from '../media/fmp4Boxes';
import { audioStreamOf, inspectOutput } from '../media/inspect';
import { dashManifest, DASH_MANIFEST, type DashVideo } from '../stream/dashManifest';
import { masterPlaylist, mediaPlaylist, MASTER_PLAYLIST, MEDIA_PLAYLIST, type MasterRung } from '../stream/hlsPlaylists';
import { subtitleMediaPlaylist } from '../stream/subtitleManifests';
import { trackRates } from '../stream/trackTimeline';
import { INIT_SEGMENT } from '../media/cmafArgs';
import { whileHeartbeating, withScratch } from './activityKit';
import type { ActivityDeps } from './deps';
import { readStoredTrack, type StoredTrack } from './streamTracks';
import { assembleThumbnails } from './thumbnailSheets';
import { workArea } from './workArea';

/** AAC-LC, what ffmpeg's aac encoder writes. */
const AAC_CODECS = 'mp4a.40.2';

export function packageStream({ config, stores }: ActivityDeps) {
  return async function packageStream(input: PackageStreamInput): Promise<PackageStreamResult> {
    const work = stores.for(input.workUrl);
    const fps = parseRational(input.fps);
    if (!fps) throw new Error(`internal: bad frame rate ${input.fps}`);
    const expectedSegments = Math.ceil(input.totalFrames / input.segmentFrames);
    return withScratch(config.scratchDir, (scratch) =>
      whileHeartbeating(async () => {
        const rungs: { spec: { name: string; width: number; height: number }; track: StoredTrack; report: StreamTrackReport }[] = [];
        for (const rung of input.rungs) {
          const spec = { name: rung.name, ...outputSize(input.geometry, rung.rendition.video) };
          const track = await readStoredTrack(work, input.workUrl, spec.name, scratch);
          if (track.timeline.starts.length !== expectedSegments) {
            throw permanentError(ErrorType.VerifyFailed, `rung ${spec.name} has ${track.timeline.starts.length} segments, the job's grid ${expectedSegments}`);
          }
          const rates = trackRates(track.timeline);
          rungs.push({
            spec,
            track,
            report: {
              name: spec.name,
              codecs: videoCodecString(track.init),
              bandwidth: rates.peak,
              averageBandwidth: rates.average,
              segments: track.timeline.starts.length,
              duration: rates.seconds,
              size: rates.bytes,
              width: spec.width,
              height: spec.height,
              frameRate: toNumber(fps).toFixed(3),
            },
          });
        }
        let audio: { track: StoredTrack; report: StreamTrackReport } | undefined;
        if (input.audio) {
          const track = await readStoredTrack(work, input.workUrl, input.audio, scratch);
          const rates = trackRates(track.timeline);
          audio = {
            track,
            report: {
              name: input.audio,
              codecs: AAC_CODECS,
              bandwidth: rates.peak,
              averageBandwidth: rates.average,
              segments: track.timeline.starts.length,
              duration: rates.seconds,
              size: rates.bytes,
              // The mp4a sample entry says 2 for any AAC (ISO BMFF's fixed value); ffprobe reads the real count from the esds.
              channels: audioStreamOf(await inspectOutput(await work.localPath(workArea.stream(input.workUrl, `${input.audio}/${INIT_SEGMENT}`), scratch), undefined, { countPackets: false }))?.channels,
            },
          };
        }
        const playlists: string[] = [];
        const put = async (name: string, text: string): Promise<void> => {
          await work.putText(workArea.stream(input.workUrl, name), text);
          playlists.push(name);
        };
        if (input.formats.includes('hls')) {
          for (const r of rungs) await put(`${r.spec.name}/${MEDIA_PLAYLIST}`, mediaPlaylist(r.track.timeline));
          if (audio) await put(`${input.audio}/${MEDIA_PLAYLIST}`, mediaPlaylist(audio.track.timeline));
        }
        const seconds = input.totalFrames / toNumber(fps);
        const subtitles = input.subtitles ?? [];
        if (input.formats.includes('hls')) {
          for (const s of subtitles) await put(`${s.name}/${MEDIA_PLAYLIST}`, subtitleMediaPlaylist(s, seconds));
        }
        if (input.formats.includes('dash')) {
          const video: DashVideo[] = rungs.map((r) => ({
            timeline: r.track.timeline,
            bandwidth: r.report.bandwidth,
            codecs: r.report.codecs,
            width: r.spec.width,
            height: r.spec.height,
          }));
          const dashAudio = audio && { timeline: audio.track.timeline, bandwidth: audio.report.bandwidth, codecs: AAC_CODECS, channels: audio.report.channels ?? 2 };
          await put(DASH_MANIFEST, dashManifest(video, dashAudio, input.fps, seconds, (input.segmentFrames * fps.den) / fps.num, subtitles));
        }
        if (input.formats.includes('hls')) {
          const master: MasterRung[] = rungs.map((r) => ({
            name: r.spec.name,
            bandwidth: r.report.bandwidth + (audio?.report.bandwidth ?? 0),
            averageBandwidth: r.report.averageBandwidth + (audio?.report.averageBandwidth ?? 0),
            codecs: audio ? `${r.report.codecs},${AAC_CODECS}` : r.report.codecs,
            width: r.spec.width,
            height: r.spec.height,
            frameRate: r.report.frameRate!,
          }));
          await put(MASTER_PLAYLIST, masterPlaylist(master, audio && { name: input.audio!, channels: audio.report.channels ?? 2 }, subtitles));
        }
        const thumbnails = await assembleThumbnails(work, input, scratch);
        return { rungs: rungs.map((r) => r.report), audio: audio?.report, playlists, ...(thumbnails ? { thumbnails } : {}) };
      }),
    );
  };
}
