// One animated WebP written by libwebp 1.6 through sharp, from the frames ffmpeg decodes and scales:
// the other side of the WebP encoder comparison (issue 14). Run as its own process, so it is timed,
// with its decode, exactly as the ffmpeg command it is compared with.
//   node src/sharp-webp.ts <ffmpeg> <source> <out.webp> <width> <height> '<json: window and webp options>'
import { spawn } from 'node:child_process';
import sharp from 'sharp';

const [ffmpeg, source, out, w, h, json] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
];
const width = Number(w);
const height = Number(h);
const { start, duration, fps, webp } = JSON.parse(json) as {
  start: number;
  duration: number;
  fps: number;
  webp: sharp.WebpOptions;
};

const decoder = spawn(
  ffmpeg,
  [
    '-v',
    'error',
    '-ss',
    String(start),
    '-t',
    String(duration),
    '-i',
    source,
    '-vf',
    `fps=${fps},scale=${width}:${height}:flags=lanczos,setsar=1,format=rgba`,
    '-f',
    'rawvideo',
    '-',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const chunks: Buffer[] = [];
for await (const chunk of decoder.stdout) chunks.push(chunk as Buffer);
const frames = Buffer.concat(chunks);
const count = Math.floor(frames.length / (width * height * 4));
if (count < 1) throw new Error('ffmpeg decoded no frame');
sharp.cache(false);
await sharp(frames.subarray(0, count * width * height * 4), {
  raw: { width, height: height * count, channels: 4, pageHeight: height },
})
  .webp({ loop: 0, delay: Array(count).fill(Math.round(1000 / fps)), ...webp })
  .toFile(out);
