// A corpus of bad and unusual sources, made by ffmpeg and byte surgery on the spot: nothing is
// downloaded or committed. Each entry says which outcomes are right for it.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ErrorCode, TemplateInput } from '@dynamic-image/core';
import type { FfmpegBinaries } from '../../src/binaries.js';
import { runFfmpeg } from '../../src/ffmpeg.js';

export type Expected = 'success' | ErrorCode;

export interface CorpusEntry {
  name: string;
  category: string;
  /** A local path, or a URL (filled in by the test for entries served over HTTP). */
  source: string;
  /** Every outcome that is right for this source; the first is what today's ffmpeg gives. */
  expect: Expected[];
  template?: Partial<TemplateInput>;
}

const lavfi = (graph: string) => ({ source: graph, options: ['-f', 'lavfi'] });
const h264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '25'];

/** A deterministic generator, so a bit-flipped file is the same file on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `length` bytes of noise, the same for the same seed. The corpus never uses crypto's randomBytes: random
 * bytes in a header are now and then something ffmpeg recognises (an `lrc` lyrics file, say), which made
 * the expected code change from run to run.
 */
function noise(seed: number, length: number): Buffer {
  const random = prng(seed);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** Flips one random bit in every `every` bytes after the first `skip`. */
export function flipBits(bytes: Buffer, seed: number, every: number, skip = 0): Buffer {
  const out = Buffer.from(bytes);
  const random = prng(seed);
  for (let at = skip; at < out.length; at += every) {
    const i = Math.min(out.length - 1, at + Math.floor(random() * every));
    out[i] = (out[i] as number) ^ (1 << Math.floor(random() * 8));
  }
  return out;
}

/** Replaces every ISO BMFF box's width/height fields that match `from` with `to`. */
function patchU16Pairs(bytes: Buffer, from: [number, number], to: [number, number]): Buffer {
  const out = Buffer.from(bytes);
  for (let i = 0; i + 4 <= out.length; i += 1) {
    if (out.readUInt16BE(i) === from[0] && out.readUInt16BE(i + 2) === from[1]) {
      out.writeUInt16BE(to[0], i);
      out.writeUInt16BE(to[1], i + 2);
    }
  }
  return out;
}

/** Sets the duration field of the MP4's mvhd box (version 0) to its largest value. */
function patchMvhdDuration(bytes: Buffer): Buffer {
  const out = Buffer.from(bytes);
  const at = out.indexOf('mvhd', 0, 'latin1');
  if (at < 0) throw new Error('no mvhd box');
  // box type, version+flags (4), creation (4), modification (4), timescale (4), duration (4)
  out.writeUInt32BE(1, at + 16);
  out.writeUInt32BE(0xffffffff, at + 20);
  return out;
}

const CONTAINERS = [
  { ext: 'mp4', output: [...h264, '-movflags', '+faststart'] },
  { ext: 'mov', output: h264 },
  { ext: 'mkv', output: h264 },
  { ext: 'webm', output: ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k'] },
  { ext: 'avi', output: ['-c:v', 'mpeg4', '-q:v', '5'] },
  { ext: 'ts', output: [...h264, '-f', 'mpegts'] },
] as const;

const AUDIO = [
  { file: 'aac.m4a', output: ['-c:a', 'aac'] },
  { file: 'aac.adts.aac', output: ['-c:a', 'aac', '-f', 'adts'] },
  { file: 'mp3.mp3', output: ['-c:a', 'libmp3lame'] },
  { file: 'opus.opus', output: ['-c:a', 'libopus'] },
  { file: 'vorbis.ogg', output: ['-c:a', 'libvorbis'] },
  { file: 'flac.flac', output: ['-c:a', 'flac'] },
  { file: 'pcm.wav', output: ['-c:a', 'pcm_s16le'] },
  { file: 'aac-in.mkv', output: ['-c:a', 'aac'] },
  { file: 'mp3-in.avi', output: ['-c:a', 'libmp3lame'] },
] as const;

export interface BuildCorpusOptions {
  /** Where served-over-HTTP entries point; the test fills in `${base}/${file}`. */
  httpBase: string;
}

/**
 * Generates the corpus into `dir`. Sources are 4 s at 320x240 so the good ones encode in well under
 * a second; the template asks for 1 s → 3 s at 160 wide.
 */
export async function buildCorpus(
  binaries: FfmpegBinaries,
  dir: string,
  { httpBase }: BuildCorpusOptions,
): Promise<CorpusEntry[]> {
  await mkdir(dir, { recursive: true });
  const entries: CorpusEntry[] = [];
  const add = (entry: CorpusEntry) => entries.push(entry);
  const path = (file: string) => join(dir, file);
  const make = async (
    file: string,
    inputs: Array<{ source: string; options: string[] }>,
    output: readonly string[],
  ) => {
    await runFfmpeg(binaries, {
      inputs,
      outputOptions: ['-y', ...output],
      output: path(file),
      timeoutMs: 60_000,
    });
    return readFile(path(file));
  };
  const video = (seconds = 4, size = '320x240') => lavfi(`testsrc2=size=${size}:rate=25:duration=${seconds}`);
  const tone = (seconds = 4) => lavfi(`sine=frequency=440:sample_rate=44100:duration=${seconds}`);

  // Each common container: the clean file, two cuts, bit flips, and a trashed header.
  for (const [index, { ext, output }] of CONTAINERS.entries()) {
    const clean = await make(`clean.${ext}`, [video()], output);
    add({ name: `clean ${ext}`, category: 'control', source: path(`clean.${ext}`), expect: ['success'] });

    // Half the file: the window 2.5–3.5 s lies in the lost half. An MP4/MOV whose moov came first
    // still opens; one that lost its moov (MOV writes it last) can't. MPEG-TS has no duration in a
    // header and an AVI's index is at its end, so a cut TS or AVI reads as a shorter video and the
    // window is out of range.
    await writeFile(path(`half.${ext}`), clean.subarray(0, Math.floor(clean.length / 2)));
    add({
      name: `truncated to half ${ext}`,
      category: 'truncated',
      source: path(`half.${ext}`),
      template: { start: 2.5, duration: 1 },
      expect:
        ext === 'mov'
          ? ['ABNORMAL_CONTAINER']
          : ext === 'ts' || ext === 'avi'
            ? ['WINDOW_OUT_OF_RANGE', 'DAMAGED_SOURCE']
            : ['DAMAGED_SOURCE'],
    });

    await writeFile(path(`head.${ext}`), clean.subarray(0, 2048));
    add({
      name: `first 2 KB only ${ext}`,
      category: 'truncated',
      source: path(`head.${ext}`),
      // 2 KB of TS is a valid video of a frame or two.
      expect: ext === 'ts' ? ['WINDOW_OUT_OF_RANGE'] : ['ABNORMAL_CONTAINER', 'DAMAGED_SOURCE'],
    });

    // One bit in every 4 KB past the headers: decoders conceal some damage, so a verified output
    // is right too, but never a hang, a crash or an unexplained encoder failure.
    await writeFile(path(`flipped.${ext}`), flipBits(clean, 1000 + index, 4096, 1024));
    add({
      name: `bit-flipped ${ext}`,
      category: 'bit-flipped',
      source: path(`flipped.${ext}`),
      expect: ['success', 'DAMAGED_SOURCE', 'ABNORMAL_CONTAINER'],
    });

    // The first 512 bytes overwritten: the container can't be recognised (a TS resyncs on its own).
    const trashed = Buffer.from(clean);
    noise(2000 + index, 512).copy(trashed, 0);
    await writeFile(path(`trashed-header.${ext}`), trashed);
    add({
      name: `trashed header ${ext}`,
      category: 'bit-flipped',
      source: path(`trashed-header.${ext}`),
      expect: ext === 'ts' ? ['success', 'DAMAGED_SOURCE'] : ['DAMAGED_SOURCE', 'ABNORMAL_CONTAINER'],
    });
  }

  // Not video at all.
  await writeFile(path('empty.mp4'), '');
  add({
    name: 'zero-length mp4',
    category: 'not video',
    source: path('empty.mp4'),
    expect: ['DAMAGED_SOURCE'],
  });
  await writeFile(path('empty.mkv'), '');
  add({
    name: 'zero-length mkv',
    category: 'not video',
    source: path('empty.mkv'),
    expect: ['DAMAGED_SOURCE'],
  });
  await writeFile(path('random-1k.mp4'), noise(3001, 1024));
  add({
    name: 'random 1 KB',
    category: 'not video',
    source: path('random-1k.mp4'),
    expect: ['DAMAGED_SOURCE'],
  });
  await writeFile(path('random-2m.webm'), noise(3002, 2 * 1024 * 1024));
  add({
    name: 'random 2 MB',
    category: 'not video',
    source: path('random-2m.webm'),
    expect: ['DAMAGED_SOURCE'],
  });
  // An ftyp box then noise: an MP4 that never got its moov.
  const ftyp = Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex');
  await writeFile(path('ftyp-then-noise.mp4'), Buffer.concat([ftyp, noise(3003, 64 * 1024)]));
  add({
    name: 'ftyp then noise',
    category: 'not video',
    source: path('ftyp-then-noise.mp4'),
    expect: ['ABNORMAL_CONTAINER'],
  });
  await writeFile(path('text.mp4'), 'This is a text file, not a video.\n'.repeat(200));
  add({
    name: 'text renamed .mp4',
    category: 'not video',
    source: path('text.mp4'),
    expect: ['DAMAGED_SOURCE'],
  });
  add({ name: 'a folder', category: 'not video', source: dir, expect: ['SOURCE_UNREACHABLE'] });
  add({ name: '/dev/zero', category: 'not video', source: '/dev/zero', expect: ['DAMAGED_SOURCE'] });

  // Audio only, in several codecs and containers; cover art is not a video.
  for (const { file, output } of AUDIO) {
    await make(file, [tone()], output);
    add({ name: `audio only ${file}`, category: 'audio only', source: path(file), expect: ['AUDIO_ONLY'] });
  }
  await make('cover.png', [lavfi('testsrc2=size=200x200:duration=0.04')], ['-frames:v', '1']);
  await make(
    'mp3-with-cover.mp3',
    [tone(), { source: path('cover.png'), options: [] }],
    ['-map', '0:a', '-map', '1:v', '-c:a', 'libmp3lame', '-c:v', 'png', '-disposition:v', 'attached_pic'],
  );
  add({
    name: 'mp3 with cover art',
    category: 'audio only',
    source: path('mp3-with-cover.mp3'),
    expect: ['AUDIO_ONLY'],
  });

  // Still images renamed as video: an image is a format the worker does not take.
  for (const [file, output] of [
    ['still.png', ['-frames:v', '1', '-f', 'image2', '-c:v', 'png']],
    ['still.jpg', ['-frames:v', '1', '-f', 'image2', '-c:v', 'mjpeg']],
    ['still.bmp', ['-frames:v', '1', '-f', 'image2', '-c:v', 'bmp']],
  ] as const) {
    await make(file, [video(1)], output);
    const renamed = `${file}.mp4`;
    await writeFile(path(renamed), await readFile(path(file)));
    add({
      name: `${file} renamed .mp4`,
      category: 'image',
      source: path(renamed),
      expect: ['UNSUPPORTED_SOURCE'],
    });
  }
  // A one-frame GIF is an animation format the worker reads, with nothing to animate.
  await make('still.gif', [video(0.04)], ['-frames:v', '1', '-f', 'gif']);
  await writeFile(path('still-gif.mp4'), await readFile(path('still.gif')));
  add({
    name: 'one-frame GIF renamed .mp4',
    category: 'image',
    source: path('still-gif.mp4'),
    expect: ['ABNORMAL_CONTAINER', 'WINDOW_OUT_OF_RANGE'],
  });
  await make('animated.gif', [video(4)], ['-f', 'gif']);
  add({
    name: 'animated GIF as source',
    category: 'control',
    source: path('animated.gif'),
    expect: ['success'],
  });

  // Huge declared dimensions: a header that promises a picture no one should decode.
  const y4m = (w: number, h: number) =>
    Buffer.concat([Buffer.from(`YUV4MPEG2 W${w} H${h} F25:1 Ip A1:1 C420jpeg\nFRAME\n`), noise(w ^ h, 4096)]);
  await writeFile(path('giant-65535.y4m'), y4m(65535, 65535));
  add({
    name: 'y4m header 65535x65535',
    category: 'huge dimensions',
    source: path('giant-65535.y4m'),
    expect: ['UNSUPPORTED_SOURCE'],
  });
  await writeFile(path('giant-20000.y4m'), y4m(20000, 20000));
  add({
    name: 'y4m header 20000x20000',
    category: 'huge dimensions',
    source: path('giant-20000.y4m'),
    expect: ['UNSUPPORTED_SOURCE'],
  });
  await writeFile(path('giant-1x60000.y4m'), y4m(16, 60000));
  add({
    name: 'y4m header 16x60000',
    category: 'huge dimensions',
    source: path('giant-1x60000.y4m'),
    expect: ['UNSUPPORTED_SOURCE'],
  });
  // The MP4 sample entry says 65535x65535 while the H.264 stream inside is 320x240: the stream wins.
  const mp4 = await readFile(path('clean.mp4'));
  await writeFile(path('patched-size.mp4'), patchU16Pairs(mp4, [320, 240], [65535, 65535]));
  add({
    name: 'mp4 sample entry patched to 65535x65535',
    category: 'huge dimensions',
    source: path('patched-size.mp4'),
    expect: ['success', 'UNSUPPORTED_SOURCE'],
  });

  // Very long durations with few frames.
  await make('sparse-24h.mkv', [lavfi('testsrc2=size=320x240:rate=1/3600:duration=86000')], h264);
  add({
    name: '24 h with one frame an hour, window at 23:00:00',
    category: 'long and sparse',
    source: path('sparse-24h.mkv'),
    template: { start: '23:00:00', duration: 2 },
    expect: ['success'],
  });
  add({
    name: '24 h with one frame an hour, window at 0',
    category: 'long and sparse',
    source: path('sparse-24h.mkv'),
    template: { start: 0, duration: 3 },
    expect: ['success'],
  });
  await make('two-frames.mp4', [lavfi('testsrc2=size=320x240:rate=1/40000:duration=80000')], h264);
  add({
    name: 'mp4 of 22 h holding two frames',
    category: 'long and sparse',
    source: path('two-frames.mp4'),
    template: { start: '11:06:40', duration: 2 },
    expect: ['success'],
  });
  await writeFile(path('mvhd-49-days.mp4'), patchMvhdDuration(mp4));
  add({
    name: 'mp4 whose header claims 49 days',
    category: 'long and sparse',
    source: path('mvhd-49-days.mp4'),
    expect: ['ABNORMAL_CONTAINER', 'success'],
  });
  // A TS whose clock starts ten hours in: the window is relative to the first frame.
  await make('offset.ts', [video()], [...h264, '-output_ts_offset', '36000', '-f', 'mpegts']);
  add({
    name: 'ts starting at 10:00:00',
    category: 'control',
    source: path('offset.ts'),
    expect: ['success'],
  });

  // Playlists and lists that point elsewhere: the worker never follows them.
  const hls = (target: string) =>
    `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\n${target}\n#EXT-X-ENDLIST\n`;
  await writeFile(path('segment.ts'), await readFile(path('clean.ts')));
  const playlists: Array<[string, string]> = [
    ['hls-passwd.m3u8', hls('file:///etc/passwd')],
    ['hls-other-host.m3u8', hls(`${httpBase}/never-fetched/segment.ts`)],
    ['hls-unroutable-host.m3u8', hls('http://198.51.100.7/segment.ts')],
    ['hls-metadata.m3u8', hls('http://169.254.169.254/latest/meta-data/')],
    ['hls-local-segment.m3u8', hls('segment.ts')],
    ['hls-renamed.mp4', hls('file:///etc/passwd')],
    ['concat-passwd.ffconcat', 'ffconcat version 1.0\nfile /etc/passwd\n'],
    ['concat-other-host.ffconcat', `ffconcat version 1.0\nfile ${httpBase}/never-fetched/clean.mp4\n`],
    ['concat-subfile.ffconcat', "ffconcat version 1.0\nfile 'subfile,,start,0,end,0,,:/etc/passwd'\n"],
    ['concat-renamed.mp4', `ffconcat version 1.0\nfile ${path('clean.mp4')}\n`],
  ];
  for (const [file, text] of playlists) {
    await writeFile(path(file), text);
    // Named .mp4, a playlist is read as a (broken) MP4 and never parsed as a playlist.
    const expect: Expected[] = file.endsWith('.mp4')
      ? ['UNSUPPORTED_SOURCE', 'DAMAGED_SOURCE']
      : ['UNSUPPORTED_SOURCE'];
    add({ name: file, category: 'playlist', source: path(file), expect });
  }
  add({
    name: 'HLS playlist over http pointing at file:///etc/passwd',
    category: 'playlist',
    source: `${httpBase}/hls-passwd.m3u8`,
    expect: ['UNSUPPORTED_SOURCE'],
  });

  // Subtitles only.
  const srt = '1\n00:00:00,000 --> 00:00:03,000\nHello\n\n2\n00:00:03,000 --> 00:00:04,000\nWorld\n';
  await writeFile(path('subs.srt'), srt);
  await make('srt-only.mkv', [{ source: path('subs.srt'), options: [] }], ['-c:s', 'srt']);
  add({
    name: 'srt in mkv',
    category: 'subtitles only',
    source: path('srt-only.mkv'),
    expect: ['ABNORMAL_CONTAINER'],
  });
  await make('ass-only.mkv', [{ source: path('subs.srt'), options: [] }], ['-c:s', 'ass']);
  add({
    name: 'ass in mkv',
    category: 'subtitles only',
    source: path('ass-only.mkv'),
    expect: ['ABNORMAL_CONTAINER'],
  });
  await writeFile(path('subs.srt.mp4'), srt);
  add({
    name: 'bare srt renamed .mp4',
    category: 'subtitles only',
    source: path('subs.srt.mp4'),
    expect: ['UNSUPPORTED_SOURCE'],
  });
  await writeFile(path('subs.vtt'), `WEBVTT\n\n00:00:00.000 --> 00:00:03.000\nHello\n`);
  add({
    name: 'bare WebVTT',
    category: 'subtitles only',
    source: path('subs.vtt'),
    expect: ['UNSUPPORTED_SOURCE'],
  });

  return entries;
}
