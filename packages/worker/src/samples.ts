// Clips generated with ffmpeg's lavfi sources: the demo, the tests and the benchmarks make their
// own media, so nothing is downloaded or committed.
import { createHash } from 'node:crypto';
import { open, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FfmpegBinaries } from './binaries.js';
import { runFfmpeg } from './ffmpeg.js';

export const SAMPLE_KINDS = [
  'landscape',
  'portrait-rotated',
  'anamorphic',
  'odd-size',
  'variable-frame-rate',
  'audio-only',
  'truncated-mp4',
  'truncated-faststart-mp4',
  'random-bytes',
] as const;
export type SampleKind = (typeof SAMPLE_KINDS)[number];

interface Recipe {
  file: string;
  inputs: Array<{ source: string; options: string[] }>;
  output: string[];
  /** Options for a second, stream-copy pass (some metadata is only written when remuxing). */
  remux?: string[];
}

const lavfi = (graph: string) => ({ source: graph, options: ['-f', 'lavfi'] });
const sine = (seconds: number) => lavfi(`sine=frequency=440:sample_rate=44100:duration=${seconds}`);
const h264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

function recipe(kind: Exclude<SampleKind, 'random-bytes'>, seconds: number): Recipe {
  switch (kind) {
    case 'landscape':
      return {
        file: 'landscape.mp4',
        inputs: [lavfi(`testsrc2=size=640x360:rate=25:duration=${seconds}`), sine(seconds)],
        output: [...h264, '-c:a', 'aac', '-shortest', '-movflags', '+faststart'],
      };
    case 'portrait-rotated':
      // Coded 640x360 and rotated by metadata, as phones store portrait video: it displays 360x640.
      return {
        file: 'portrait-rotated.mp4',
        inputs: [lavfi(`testsrc2=size=640x360:rate=30:duration=${seconds}`)],
        output: h264,
        // ffmpeg 4.1 writes the display matrix only on a stream copy.
        remux: ['-c', 'copy', '-metadata:s:v:0', 'rotate=90'],
      };
    case 'anamorphic':
      // 480x360 pixels with a 4:3 sample aspect ratio: it displays 640x360.
      return {
        file: 'anamorphic.mp4',
        inputs: [lavfi(`testsrc2=size=480x360:rate=25:duration=${seconds}`)],
        output: [...h264, '-vf', 'setsar=4/3'],
      };
    case 'odd-size':
      return {
        file: 'odd-size.mkv',
        // testsrc2 only makes even sizes; the scale makes it odd, and 4:4:4 keeps it odd.
        inputs: [
          lavfi(`testsrc2=size=320x240:rate=24:duration=${seconds},scale=321:243,setsar=1,format=yuv444p`),
        ],
        output: ['-c:v', 'ffv1'],
      };
    case 'variable-frame-rate':
      // Drops two frames in three after the first second, leaving uneven timestamps.
      return {
        file: 'variable-frame-rate.mkv',
        inputs: [lavfi(`testsrc2=size=480x270:rate=30:duration=${seconds}`)],
        output: [...h264, '-vf', "select='lt(t\\,1)+not(mod(n\\,3))'", '-vsync', 'vfr'],
      };
    case 'audio-only':
      return { file: 'audio-only.m4a', inputs: [sine(seconds)], output: ['-c:a', 'aac'] };
    case 'truncated-mp4':
      // moov is written last, so cutting the file loses it.
      return {
        file: 'truncated.mp4',
        inputs: [lavfi(`testsrc2=size=640x360:rate=25:duration=${seconds}`)],
        output: h264,
      };
    case 'truncated-faststart-mp4':
      // moov first: the file still opens, but the media after the cut is gone.
      return {
        file: 'truncated-faststart.mp4',
        inputs: [lavfi(`testsrc2=size=640x360:rate=25:duration=${seconds}`)],
        output: [...h264, '-movflags', '+faststart'],
      };
  }
}

async function truncate(path: string, keep: number): Promise<void> {
  const size = (await stat(path)).size;
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(Math.floor(size * keep));
  } finally {
    await handle.close();
  }
}

export async function generateSample(
  binaries: FfmpegBinaries,
  kind: SampleKind,
  dir: string,
  seconds = 6,
): Promise<string> {
  if (kind === 'random-bytes') {
    const path = join(dir, 'random-bytes.mp4');
    // The same bytes every time (SHA-256 in counter mode): truly random ones are now and then a header
    // ffmpeg recognises as some other format, which changed the code a test expects from run to run.
    const blocks = Array.from({ length: (256 * 1024) / 32 }, (_, i) =>
      createHash('sha256').update(`random-bytes sample ${i}`).digest(),
    );
    await writeFile(path, Buffer.concat(blocks));
    return path;
  }
  const { file, inputs, output, remux } = recipe(kind, seconds);
  const path = join(dir, file);
  const first = remux ? join(dir, `first-pass-${file}`) : path;
  await runFfmpeg(binaries, { inputs, outputOptions: ['-y', ...output], output: first, timeoutMs: 120_000 });
  if (remux) {
    await runFfmpeg(binaries, {
      inputs: [{ source: first, options: [] }],
      outputOptions: ['-y', ...remux],
      output: path,
      timeoutMs: 120_000,
    });
    await rm(first);
  }
  if (kind === 'truncated-mp4' || kind === 'truncated-faststart-mp4') await truncate(path, 0.4);
  return path;
}
