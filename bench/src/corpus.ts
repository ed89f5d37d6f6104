// The bench's sources, generated on this machine (nothing downloaded) and cached in bench/.cache/
// under a hash of their recipe, so a second run starts measuring at once.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

const run = promisify(execFile);

export type SizeLabel = '480p' | '720p' | '1080p' | '2160p';
export const SIZES: Record<SizeLabel, [number, number]> = {
  '480p': [854, 480],
  '720p': [1280, 720],
  '1080p': [1920, 1080],
  '2160p': [3840, 2160],
};

export interface Kind {
  name: string;
  description: string;
  /** Camera-like content: where the GIF-vs-gifski and WebP targets apply. */
  natural: boolean;
  sizes: SizeLabel[];
}

// Debian packages whose photographs the photographic clips pan over; installed by the bench when
// absent and apt is usable, otherwise a procedural stand-in is used and the report says so.
const PHOTO_PACKAGE = 'mate-backgrounds';
const PHOTO_DIR = '/usr/share/backgrounds/mate/nature';
const PHOTOS = ['LadyBird.jpg', 'Dune.jpg', 'Garden.jpg'];

export interface Photos {
  files: string[];
  origin: string;
}

export async function findPhotos(install: boolean): Promise<Photos | null> {
  const present = () => PHOTOS.map((p) => join(PHOTO_DIR, p)).filter((p) => existsSync(p));
  if (present().length === 0 && install && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.error(`› installing the Debian package ${PHOTO_PACKAGE} for photographs`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await run('apt-get', ['install', '-y', '--no-install-recommends', PHOTO_PACKAGE], { env })
      .catch(async () => {
        await run('apt-get', ['update'], { env });
        await run('apt-get', ['install', '-y', '--no-install-recommends', PHOTO_PACKAGE], { env });
      })
      .catch((err) =>
        console.error(`  could not install ${PHOTO_PACKAGE}: ${(err as Error).message.split('\n')[0]}`),
      );
  }
  const files = present();
  return files.length
    ? {
        files,
        origin: `photographs from the Debian package ${PHOTO_PACKAGE} (${files.map((f) => f.split('/').pop()).join(', ')})`,
      }
    : null;
}

export function kinds(photos: Photos | null): Kind[] {
  return [
    {
      name: 'photographic',
      description: photos
        ? `a slow diagonal pan over ${photos.files[0]?.split('/').pop()}, one of the ${photos.origin}`
        : 'procedural stand-in (no photographs available): a Mandelbrot zoom with grain',
      natural: true,
      sizes: ['480p', '720p', '1080p', '2160p'],
    },
    {
      name: 'synthetic',
      description: 'ffmpeg test pattern (testsrc2): flat colours, gradients and a moving counter',
      natural: false,
      sizes: ['480p', '1080p', '2160p'],
    },
    {
      name: 'screen',
      description: 'a screen recording: windows with text in flat colours, scrolling, and a moving pointer',
      natural: false,
      sizes: ['1080p', '2160p'],
    },
    {
      name: 'portrait',
      description:
        'a phone clip: 1080×1920 shown upright, stored as 1920×1080 with 90° rotation metadata; photographic content',
      natural: true,
      sizes: ['1080p'],
    },
    {
      name: 'grain',
      description: 'a Mandelbrot zoom with sensor-like grain: smooth gradients and texture',
      natural: true,
      sizes: ['720p'],
    },
    {
      name: 'fast-motion',
      description: 'the test pattern spinning with a cycling hue: every pixel changes every frame',
      natural: false,
      sizes: ['720p'],
    },
    {
      name: 'noise',
      description: 'full-frame random noise: the worst case for palettes and for WebP',
      natural: false,
      sizes: ['480p'],
    },
  ];
}

const CLIP_SECONDS = 8;
const x264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p'];

/** The screen's content: a tall page of windows and text, scrolled by ffmpeg. */
async function screenPage(w: number, h: number, file: string): Promise<void> {
  const u = w / 1920;
  const lines: string[] = [];
  const words = ['const', 'result', 'await', 'ffmpeg', 'palette', 'window', 'function', 'return', 'template'];
  for (let i = 0; i < Math.floor((h * 3) / (28 * u)); i++) {
    const text = Array.from({ length: 4 + (i % 7) }, (_, j) => words[(i * 3 + j) % words.length]).join(' ');
    const colour = ['#1f2328', '#0550ae', '#8250df', '#116329'][i % 4];
    lines.push(
      `<text x="${420 * u}" y="${(120 + i * 28) * u}" font-size="${18 * u}" font-family="DejaVu Sans Mono, monospace" fill="${colour}">${i + 1}  ${text}</text>`,
    );
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h * 3}">
<rect width="100%" height="100%" fill="#f6f8fa"/>
<rect x="0" y="0" width="${380 * u}" height="${h * 3}" fill="#24292f"/>
${Array.from({ length: 40 }, (_, i) => `<rect x="${24 * u}" y="${(40 + i * 60) * u}" width="${(200 + ((i * 37) % 120)) * u}" height="${14 * u}" rx="${4 * u}" fill="${i % 5 === 0 ? '#58a6ff' : '#8b949e'}"/>`).join('\n')}
<rect x="${400 * u}" y="${60 * u}" width="${w - 440 * u}" height="${h * 3 - 120 * u}" fill="white" stroke="#d0d7de" stroke-width="${2 * u}"/>
<rect x="${w - 520 * u}" y="${200 * u}" width="${440 * u}" height="${300 * u}" fill="#ddf4ff" stroke="#54aeff" stroke-width="${2 * u}"/>
<rect x="${w - 520 * u}" y="${900 * u}" width="${440 * u}" height="${200 * u}" fill="#fff8c5" stroke="#d4a72c" stroke-width="${2 * u}"/>
${lines.join('\n')}
</svg>`;
  await sharp(Buffer.from(svg)).png().toFile(file);
}

function hash(parts: unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 10);
}

async function cached(
  cacheDir: string,
  name: string,
  recipe: unknown[],
  make: (file: string) => Promise<void>,
): Promise<string> {
  await mkdir(cacheDir, { recursive: true });
  const file = join(cacheDir, `${name}-${hash(recipe)}.mp4`);
  if (existsSync(file)) return file;
  // Older versions of the same clip are dropped so the cache doesn't grow without bound.
  for (const old of await readdir(cacheDir)) {
    if (old.startsWith(`${name}-`) && old.endsWith('.mp4')) await rm(join(cacheDir, old), { force: true });
  }
  const partial = `${file}.partial.mp4`;
  await make(partial);
  await rename(partial, file);
  return file;
}

const procedural = (w: number, h: number) =>
  `mandelbrot=size=${w}x${h}:rate=30:end_pts=400,noise=alls=14:allf=t+u,gblur=sigma=0.6`;

/** The source clip of a kind at a size: 8 s, 30 fps, H.264. */
export async function makeSource(
  ffmpeg: string,
  cacheDir: string,
  kind: Kind,
  size: SizeLabel,
  photos: Photos | null,
): Promise<string> {
  const [w, h] = SIZES[size];
  const ff = (args: string[]) =>
    run(ffmpeg, ['-hide_banner', '-v', 'error', ...args], { maxBuffer: 1 << 26 });
  const lavfi = (graph: string) => async (file: string) =>
    void (await ff(['-f', 'lavfi', '-i', graph, '-t', String(CLIP_SECONDS), ...x264, '-y', file]));
  // A diagonal pan across the photograph, scaled once to cover the frame with room to move.
  const cover = (ph: number) => `scale=-2:${Math.ceil((ph * 1.35) / 2) * 2}:flags=lanczos`;
  const pan = (pw: number, ph: number) =>
    `crop=${pw}:${ph}:x='(iw-ow)*t/${CLIP_SECONDS}':y='(ih-oh)*t/${CLIP_SECONDS}',setsar=1,format=yuv420p`;
  const photo = photos?.files[0];
  const panned = async (pw: number, ph: number, file: string, after = '') => {
    const still = `${file}.still.png`;
    await ff(['-i', photo as string, '-vf', cover(ph), '-y', still]);
    await ff([
      '-loop',
      '1',
      '-framerate',
      '30',
      '-i',
      still,
      '-vf',
      `${pan(pw, ph)}${after}`,
      '-t',
      String(CLIP_SECONDS),
      ...x264,
      '-y',
      file,
    ]);
    await rm(still, { force: true });
  };
  switch (kind.name) {
    case 'photographic':
      if (!photo)
        return cached(cacheDir, `${kind.name}-${size}`, [procedural(w, h)], lavfi(procedural(w, h)));
      return cached(cacheDir, `${kind.name}-${size}`, [photo, cover(h), pan(w, h)], (file) =>
        panned(w, h, file),
      );
    case 'portrait':
      // Filmed upright (h×w), stored sideways with a 90° display matrix, as phones do.
      return cached(
        cacheDir,
        `${kind.name}-${size}`,
        [photo ?? procedural(h, w), cover(w), pan(h, w), 'rotate=90'],
        async (file) => {
          const coded = `${file}.coded.mp4`;
          if (photo) await panned(h, w, coded, ',transpose=2');
          else
            await ff([
              '-f',
              'lavfi',
              '-i',
              `${procedural(h, w)},transpose=2`,
              '-t',
              String(CLIP_SECONDS),
              ...x264,
              '-y',
              coded,
            ]);
          // ffmpeg 4.1 writes the display matrix only on a stream copy.
          await ff(['-i', coded, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', '-y', file]);
          await rm(coded, { force: true });
        },
      );
    case 'synthetic':
      return cached(
        cacheDir,
        `${kind.name}-${size}`,
        [`testsrc2=size=${w}x${h}:rate=30`],
        lavfi(`testsrc2=size=${w}x${h}:rate=30`),
      );
    case 'grain':
      return cached(cacheDir, `${kind.name}-${size}`, [procedural(w, h)], lavfi(procedural(w, h)));
    case 'fast-motion': {
      const graph = `testsrc2=size=${w}x${h}:rate=30,rotate=a=t*3:fillcolor=black,hue=h=t*90`;
      return cached(cacheDir, `${kind.name}-${size}`, [graph], lavfi(graph));
    }
    case 'noise': {
      const graph = `color=c=gray:size=${w}x${h}:rate=30,noise=alls=90:allf=t+u`;
      return cached(cacheDir, `${kind.name}-${size}`, [graph], lavfi(graph));
    }
    case 'screen': {
      // Still for a second, then scrolling by a third of a screen a second, with a pointer sliding across.
      const graph = `[0:v]crop=${w}:${h}:0:'min(ih-oh,max(0,(t-1)*${Math.round(h / 3)}))'[page];[1:v]format=yuv420p[ptr];[page][ptr]overlay=x='${w / 4}+t*${Math.round(w / 16)}':y='${h / 3}+40*sin(t)',format=yuv420p`;
      return cached(cacheDir, `${kind.name}-${size}`, ['screen-v1', graph], async (file) => {
        const page = `${file}.page.png`;
        await screenPage(w, h, page);
        await ff([
          '-loop',
          '1',
          '-framerate',
          '30',
          '-i',
          page,
          '-f',
          'lavfi',
          '-i',
          `color=c=black:size=${Math.round(w / 120)}x${Math.round(w / 80)}:rate=30`,
          '-filter_complex',
          graph,
          '-t',
          String(CLIP_SECONDS),
          ...x264,
          '-y',
          file,
        ]);
        await rm(page, { force: true });
      });
    }
    default:
      throw new Error(`unknown content kind ${kind.name}`);
  }
}

/**
 * The seek test's source: an hour of test pattern at 640×360, 10 fps and a tiny bitrate, with a
 * 10 s GOP; ultrafast so it is made in about a minute, once.
 */
export async function makeLongSource(ffmpeg: string, cacheDir: string): Promise<string> {
  const graph = 'testsrc2=size=640x360:rate=10';
  const args = ['-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '32', '-g', '100', '-pix_fmt', 'yuv420p'];
  return cached(cacheDir, 'long-1h', [graph, args], async (file) => {
    console.error('› generating the one-hour source for the seek test (cached afterwards)');
    await run(ffmpeg, [
      '-hide_banner',
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      graph,
      '-t',
      '3600',
      ...args,
      '-y',
      file,
    ]);
  });
}
