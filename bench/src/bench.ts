// Side-by-side benchmark: every method runs on the same window with the same output settings, in one
// run, so ratios stay meaningful on noisy machines. Writes BENCHMARKS.md (or --out) and a chart.
//   node src/bench.ts            full corpus
//   node src/bench.ts --small    one content kind at one size (CI runs this so the bench never rots)
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { resolveFfmpegBinaries } from '@dynamic-image/worker';
import sharp from 'sharp';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const cli = join(root, 'packages', 'worker', 'dist', 'cli.js');
const gifski = join(root, 'bench', 'node_modules', 'gifski', 'bin', 'debian', 'gifski');
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

const { values: flags } = parseArgs({
  options: {
    small: { type: 'boolean', default: false },
    out: { type: 'string' },
    runs: { type: 'string', default: '3' },
    // Re-renders the report and chart from the last run's results.json, without measuring again.
    render: { type: 'boolean', default: false },
  },
});
const RUNS = Number(flags.runs);
const outDir = resolve(flags.out ?? join(root, 'bench', 'out'));
const reportPath = flags.out ? join(outDir, 'BENCHMARKS.md') : join(root, 'BENCHMARKS.md');
const bin = resolveFfmpegBinaries();
const ffmpeg = bin.ffmpeg.path;

// The window and output settings every method shares.
const WINDOW = { start: 1, duration: 4, fps: 10, width: 480 };

interface Kind {
  name: string;
  natural: boolean;
  graph: (w: number, h: number) => string;
}

// Content generated with lavfi, so nothing is downloaded. "Natural" stands in for camera footage:
// smooth gradients with sensor-like grain, the case where palettes and dithering matter most.
const KINDS: Kind[] = [
  { name: 'synthetic', natural: false, graph: (w, h) => `testsrc2=size=${w}x${h}:rate=30` },
  {
    name: 'natural',
    natural: true,
    graph: (w, h) => `mandelbrot=size=${w}x${h}:rate=30:end_pts=400,noise=alls=14:allf=t+u,gblur=sigma=0.6`,
  },
  {
    name: 'fast-motion',
    natural: false,
    graph: (w, h) => `testsrc2=size=${w}x${h}:rate=30,rotate=a=t*3:fillcolor=black,hue=h=t*90`,
  },
  {
    name: 'noise',
    natural: false,
    graph: (w, h) => `color=c=gray:size=${w}x${h}:rate=30,noise=alls=90:allf=t+u`,
  },
];
const SIZES: Array<[string, number, number]> = [
  ['480p', 854, 480],
  ['720p', 1280, 720],
  ['1080p', 1920, 1080],
];

interface Measure {
  kind: string;
  size: string;
  method: string;
  seconds: number;
  bytes: number | null;
  ssim: number | null;
  psnr: number | null;
  rssMb: number | null;
}

async function timed(cmd: string, args: string[]): Promise<{ seconds: number; rssMb: number | null }> {
  const started = performance.now();
  if (gnuTime) {
    const { stderr } = await run(gnuTime, ['-f', 'RSS_KB=%M', cmd, ...args], { maxBuffer: 64 * 1024 * 1024 });
    const rss = /RSS_KB=(\d+)/.exec(stderr);
    return { seconds: (performance.now() - started) / 1000, rssMb: rss ? Number(rss[1]) / 1024 : null };
  }
  await run(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
  return { seconds: (performance.now() - started) / 1000, rssMb: null };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function repeat(fn: () => Promise<{ seconds: number; rssMb: number | null }>) {
  const results = [];
  for (let i = 0; i < RUNS; i++) results.push(await fn());
  return {
    seconds: median(results.map((r) => r.seconds)),
    rssMb: Math.max(...results.map((r) => r.rssMb ?? 0)) || null,
  };
}

const seek = ['-ss', String(WINDOW.start), '-t', String(WINDOW.duration)];
const chain = `fps=${WINDOW.fps},scale=${WINDOW.width}:-2:flags=lanczos`;

/** SSIM and PSNR (luma, ffmpeg's filters) of a frame sequence against the reference frames. */
async function quality(candidate: string[], reference: string): Promise<{ ssim: number; psnr: number }> {
  const { stderr } = await run(
    ffmpeg,
    [
      '-hide_banner',
      ...candidate,
      '-i',
      reference,
      '-lavfi',
      '[0:v]format=yuv420p[a];[1:v]format=yuv420p[b];[a][b]ssim;[0:v]format=yuv420p[c];[1:v]format=yuv420p[d];[c][d]psnr',
      '-f',
      'null',
      '-',
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  ).catch((e) => e);
  const ssim = /SSIM Y:([\d.]+)/.exec(stderr);
  const psnr = /PSNR y:([\d.inf]+)/.exec(stderr);
  return { ssim: ssim ? Number(ssim[1]) : Number.NaN, psnr: psnr ? Number(psnr[1]) : Number.NaN };
}

/**
 * ffmpeg 4.1 can't decode animated WebP, so libwebp (through sharp) renders each frame, and frames
 * are repeated by their delay to line up with the reference's fixed rate.
 */
async function webpFrames(file: string, dir: string): Promise<string[]> {
  const meta = await sharp(file, { animated: true }).metadata();
  const pages = meta.pages ?? 1;
  const interval = 1000 / WINDOW.fps;
  let index = 0;
  let clock = 0;
  let owed = 0;
  for (let page = 0; page < pages; page++) {
    const png = await sharp(file, { page }).png().toBuffer();
    owed += (meta.delay?.[page] ?? interval) / interval;
    const copies = Math.max(1, Math.round(owed - clock));
    for (let i = 0; i < copies; i++)
      await writeFile(join(dir, `f${String(index++).padStart(5, '0')}.png`), png);
    clock += copies;
  }
  return ['-framerate', String(WINDOW.fps), '-i', join(dir, 'f%05d.png')];
}

async function benchClip(kind: Kind, size: [string, number, number], work: string): Promise<Measure[]> {
  const [label, w, h] = size;
  const source = join(work, `${kind.name}-${label}.mp4`);
  await run(ffmpeg, [
    '-hide_banner',
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    kind.graph(w, h),
    '-t',
    '8',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '18',
    '-pix_fmt',
    'yuv420p',
    '-y',
    source,
  ]);
  const reference = join(work, `${kind.name}-${label}-ref.mkv`);
  await run(ffmpeg, [
    '-hide_banner',
    '-v',
    'error',
    ...seek,
    '-i',
    source,
    '-vf',
    chain,
    '-c:v',
    'ffv1',
    '-y',
    reference,
  ]);
  const out = (name: string) => join(work, `${kind.name}-${label}-${name}`);
  const rows: Measure[] = [];
  const add = async (
    method: string,
    timing: { seconds: number; rssMb: number | null },
    file: string | null,
    frames?: string[],
  ) => {
    let bytes: number | null = null;
    let q = { ssim: Number.NaN, psnr: Number.NaN };
    if (file) {
      bytes = (await stat(file)).size;
      q = await quality(frames ?? ['-i', file], reference);
    }
    rows.push({
      kind: kind.name,
      size: label,
      method,
      seconds: timing.seconds,
      bytes,
      ssim: file ? q.ssim : null,
      psnr: file ? q.psnr : null,
      rssMb: timing.rssMb,
    });
  };

  await add(
    'floor: decode window',
    await repeat(() => timed(ffmpeg, ['-v', 'error', ...seek, '-i', source, '-f', 'null', '-'])),
    null,
  );
  await add(
    'floor: decode + fps + scale',
    await repeat(() =>
      timed(ffmpeg, ['-v', 'error', ...seek, '-i', source, '-vf', chain, '-f', 'null', '-']),
    ),
    null,
  );
  await add(
    'naive one-liner',
    await repeat(() =>
      timed(ffmpeg, [
        '-v',
        'error',
        ...seek,
        '-i',
        source,
        '-vf',
        `fps=${WINDOW.fps},scale=${WINDOW.width}:-1`,
        '-y',
        out('naive.gif'),
      ]),
    ),
    out('naive.gif'),
  );
  await add(
    'two-pass palettegen',
    await repeat(async () => {
      const a = await timed(ffmpeg, [
        '-v',
        'error',
        ...seek,
        '-i',
        source,
        '-vf',
        `${chain},palettegen`,
        '-y',
        out('palette.png'),
      ]);
      const b = await timed(ffmpeg, [
        '-v',
        'error',
        ...seek,
        '-i',
        source,
        '-i',
        out('palette.png'),
        '-lavfi',
        `${chain}[x];[x][1:v]paletteuse`,
        '-y',
        out('twopass.gif'),
      ]);
      return { seconds: a.seconds + b.seconds, rssMb: Math.max(a.rssMb ?? 0, b.rssMb ?? 0) || null };
    }),
    out('twopass.gif'),
  );
  if (existsSync(gifski)) {
    await add(
      'gifski 1.7.1 (q90, from PNG frames)',
      await repeat(async () => {
        const frames = out('gifski-frames');
        await rm(frames, { recursive: true, force: true });
        await mkdir(frames);
        const a = await timed(ffmpeg, [
          '-v',
          'error',
          ...seek,
          '-i',
          source,
          '-vf',
          chain,
          join(frames, 'f%05d.png'),
        ]);
        const list = (await readdir(frames)).map((f) => join(frames, f));
        const b = await timed(gifski, [
          '--quiet',
          '--fps',
          String(WINDOW.fps),
          '-Q',
          '90',
          '-o',
          out('gifski.gif'),
          ...list,
        ]);
        return { seconds: a.seconds + b.seconds, rssMb: Math.max(a.rssMb ?? 0, b.rssMb ?? 0) || null };
      }),
      out('gifski.gif'),
    );
  }
  // Our graph written by hand as one ffmpeg command: the baseline for our CLI's overhead.
  const ourGraph = `[0:v]${chain},setsar=1,split[a][b];[a]palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=5:diff_mode=rectangle`;
  await add(
    'our ffmpeg graph, by hand',
    await repeat(() =>
      timed(ffmpeg, [
        '-v',
        'error',
        ...seek,
        '-i',
        source,
        '-lavfi',
        ourGraph,
        '-loop',
        '0',
        '-y',
        out('ours-hand.gif'),
      ]),
    ),
    out('ours-hand.gif'),
  );
  const cliArgs = (format: string) => [
    cli,
    'make',
    source,
    '--format',
    format,
    '--fps',
    String(WINDOW.fps),
    '--width',
    String(WINDOW.width),
    '--start',
    String(WINDOW.start),
    '--duration',
    String(WINDOW.duration),
    '--json',
    '-o',
    out(`ours.${format}`),
  ];
  await add(
    'dynamic-image CLI, GIF',
    await repeat(() => timed(process.execPath, cliArgs('gif'))),
    out('ours.gif'),
  );
  const frames = out('webp-frames');
  await mkdir(frames, { recursive: true });
  const webpTiming = await repeat(() => timed(process.execPath, cliArgs('webp')));
  await add(
    'dynamic-image CLI, WebP',
    webpTiming,
    out('ours.webp'),
    await webpFrames(out('ours.webp'), frames),
  );
  return rows;
}

function chart(rows: Measure[]): string {
  const points = rows.filter((r) => r.bytes && r.ssim && Number.isFinite(r.ssim));
  const W = 720;
  const H = 420;
  const pad = 60;
  const maxBytes = Math.max(...points.map((p) => p.bytes as number));
  const minBytes = Math.min(...points.map((p) => p.bytes as number));
  const [lo, hi] = [Math.log10(minBytes * 0.8), Math.log10(maxBytes * 1.25)];
  const minSsim = Math.min(...points.map((p) => p.ssim as number), 0.9);
  const x = (b: number) => pad + ((Math.log10(b) - lo) / (hi - lo)) * (W - 2 * pad);
  const y = (s: number) => H - pad - ((s - minSsim) / (1 - minSsim)) * (H - 2 * pad);
  const colours = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6'];
  const methods = [...new Set(points.map((p) => p.method))];
  const dots = points
    .map(
      (p) =>
        `<circle cx="${x(p.bytes as number).toFixed(1)}" cy="${y(p.ssim as number).toFixed(1)}" r="5" fill="${colours[methods.indexOf(p.method) % colours.length]}"><title>${p.kind} ${p.size} ${p.method}: ${p.bytes} B, SSIM ${p.ssim}</title></circle>`,
    )
    .join('\n');
  const legend = methods
    .map(
      (m, i) =>
        `<text x="${pad + 12}" y="${H / 2 + i * 16}" font-size="12" fill="${colours[i % colours.length]}">● ${m}</text>`,
    )
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<title>Bytes against SSIM for every method and clip</title>
<rect width="100%" height="100%" fill="white"/>
<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="black"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="black"/>
<text x="${W / 2}" y="${H - 20}" text-anchor="middle" font-size="13">bytes (log scale)</text>
<text x="18" y="${H / 2}" transform="rotate(-90 18 ${H / 2})" text-anchor="middle" font-size="13">SSIM (luma) vs reference</text>
<text x="${pad}" y="${H - pad + 16}" font-size="11">${(minBytes / 1024).toFixed(0)} KiB</text>
<text x="${W - pad}" y="${H - pad + 16}" font-size="11" text-anchor="end">${(maxBytes / 1024).toFixed(0)} KiB</text>
<text x="${pad - 4}" y="${pad + 4}" font-size="11" text-anchor="end">1.00</text>
<text x="${pad - 4}" y="${H - pad}" font-size="11" text-anchor="end">${minSsim.toFixed(2)}</text>
${dots}
${legend}
</svg>`;
}

const fmt = (n: number | null, digits = 3) => (n === null || !Number.isFinite(n) ? '–' : n.toFixed(digits));

function report(rows: Measure[], seconds: number): string {
  const lines = [
    '# Benchmarks',
    '',
    `Produced by \`${flags.small ? 'pnpm --filter @dynamic-image/bench bench -- --small' : 'npm run bench'}\` on ${new Date().toISOString().slice(0, 10)}; do not edit by hand.`,
    '',
    `- Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.`,
    `- ffmpeg: ${bin.ffmpeg.path.includes('@ffmpeg-installer') ? '@ffmpeg-installer/linux-x64 (static 4.1, 2018)' : bin.ffmpeg.path} (${bin.ffmpeg.source}).`,
    `- Window: ${WINDOW.duration} s from ${WINDOW.start} s, ${WINDOW.fps} fps, ${WINDOW.width} px wide, for every method. Times are the median of ${RUNS} runs, wall clock; RSS is the peak of the measured process.`,
    '- Quality: SSIM and PSNR on luma against the reference frames (the source through the same fps and scale, stored losslessly).',
    '  GIFs are decoded by ffmpeg; WebP by libwebp (sharp), since ffmpeg 4.1 cannot decode animated WebP, each frame repeated by its delay.',
    '  VMAF is not measured: the static ffmpeg has libvmaf but no model file.',
    `- The whole run took ${seconds.toFixed(0)} s.`,
    '',
    '![bytes against quality](bench/benchmarks.svg)',
    '',
  ];
  for (const kind of [...new Set(rows.map((r) => `${r.kind} ${r.size}`))]) {
    lines.push(
      `## ${kind}`,
      '',
      '| method | time (s) | × floor | KiB | SSIM | PSNR (dB) | peak RSS (MB) |',
      '|---|---:|---:|---:|---:|---:|---:|',
    );
    const group = rows.filter((r) => `${r.kind} ${r.size}` === kind);
    const floor = group.find((r) => r.method === 'floor: decode + fps + scale')?.seconds ?? Number.NaN;
    for (const r of group) {
      lines.push(
        `| ${r.method} | ${fmt(r.seconds, 2)} | ${fmt(r.seconds / floor, 2)} | ${r.bytes === null ? '–' : (r.bytes / 1024).toFixed(0)} | ${fmt(r.ssim, 4)} | ${fmt(r.psnr, 1)} | ${fmt(r.rssMb, 0)} |`,
      );
    }
    const by = (m: string) => group.find((r) => r.method.startsWith(m));
    const hand = by('our ffmpeg graph');
    const ours = by('dynamic-image CLI, GIF');
    const webp = by('dynamic-image CLI, WebP');
    const gif = by('gifski');
    lines.push('', 'Targets, measured in this run:', '');
    if (hand && ours)
      lines.push(
        `- CLI time ≤ 1.10 × the hand-written ffmpeg command: **${(ours.seconds / hand.seconds).toFixed(2)}×** (${ours.seconds / hand.seconds <= 1.1 ? 'met' : 'missed'}).`,
      );
    if (gif && ours && group[0]?.kind === 'natural') {
      const met = (ours.ssim ?? 0) >= (gif.ssim ?? 1) && (ours.bytes ?? 0) <= (gif.bytes ?? 0);
      lines.push(
        `- GIF vs gifski on natural content, SSIM ≥ and bytes ≤: ours ${fmt(ours.ssim, 4)} / ${((ours.bytes ?? 0) / 1024).toFixed(0)} KiB against ${fmt(gif.ssim, 4)} / ${((gif.bytes ?? 0) / 1024).toFixed(0)} KiB (**${met ? 'met' : 'missed'}**).`,
      );
    }
    if (webp && ours && group[0]?.kind === 'natural') {
      const ratio = (webp.bytes ?? 0) / (ours.bytes ?? 1);
      lines.push(
        `- WebP ≤ 15 % of our GIF's bytes with SSIM ≥ 0.95: **${(ratio * 100).toFixed(0)} %**, SSIM ${fmt(webp.ssim, 4)} (${ratio <= 0.15 && (webp.ssim ?? 0) >= 0.95 ? 'met' : 'missed'}).`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

async function measure(): Promise<{ seconds: number; rows: Measure[] }> {
  const started = performance.now();
  const work = await mkdtemp(join(tmpdir(), 'dynamic-image-bench-'));
  const rows: Measure[] = [];
  try {
    const kinds = flags.small ? KINDS.filter((k) => k.name === 'natural') : KINDS;
    const sizes = flags.small ? SIZES.filter(([label]) => label === '480p') : SIZES;
    for (const kind of kinds) {
      for (const size of sizes) {
        console.error(`› ${kind.name} ${size[0]}`);
        rows.push(...(await benchClip(kind, size, work)));
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { seconds: (performance.now() - started) / 1000, rows };
}

await mkdir(outDir, { recursive: true });
const { seconds, rows } = flags.render
  ? (JSON.parse(await readFile(join(outDir, 'results.json'), 'utf8')) as { seconds: number; rows: Measure[] })
  : await measure();
await writeFile(reportPath, report(rows, seconds));
await writeFile(
  flags.out ? join(outDir, 'benchmarks.svg') : join(root, 'bench', 'benchmarks.svg'),
  chart(rows),
);
await writeFile(join(outDir, 'results.json'), JSON.stringify({ seconds, rows }, null, 2));
console.error(`wrote ${reportPath}`);
if (rows.some((r) => r.bytes !== null && !(r.ssim && r.ssim > 0.5))) {
  console.error('a method produced an output whose quality could not be measured');
  process.exit(1);
}
