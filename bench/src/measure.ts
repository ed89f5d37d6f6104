// Timing, peak memory and quality of one output, shared by every method.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

export const run = promisify(execFile);
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

export interface Timing {
  seconds: number;
  rssMb: number | null;
  /** User + system CPU time of the process and the children it waited for: steadier than wall
   * time when other work shares the cores. */
  cpuSeconds?: number | null;
}

/** Wall time of a command, and its peak RSS and CPU time through GNU time when the machine has it. */
export async function timed(cmd: string, args: string[]): Promise<Timing & { stdout: string }> {
  const started = performance.now();
  if (gnuTime) {
    const { stdout, stderr } = await run(gnuTime, ['-f', 'RSS_KB=%M CPU=%U+%S', cmd, ...args], {
      maxBuffer: 1 << 26,
    });
    const rss = /RSS_KB=(\d+)/.exec(stderr);
    const cpu = /CPU=([\d.]+)\+([\d.]+)/.exec(stderr);
    return {
      seconds: (performance.now() - started) / 1000,
      rssMb: rss ? Number(rss[1]) / 1024 : null,
      cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : null,
      stdout,
    };
  }
  const { stdout } = await run(cmd, args, { maxBuffer: 1 << 26 });
  return { seconds: (performance.now() - started) / 1000, rssMb: null, cpuSeconds: null, stdout };
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

export async function repeat<T extends Timing>(runs: number, fn: () => Promise<T>): Promise<T> {
  const results: T[] = [];
  for (let i = 0; i < runs; i++) results.push(await fn());
  const sorted = [...results].sort((a, b) => a.seconds - b.seconds);
  const mid = sorted[Math.floor(sorted.length / 2)] as T;
  return { ...mid, rssMb: Math.max(...results.map((r) => r.rssMb ?? 0)) || null };
}

export interface Quality {
  ssim: number;
  psnr: number;
  vmaf: number | null;
}

/** An ffmpeg whose libvmaf can load the built-in model, if any of the candidates can. */
export async function findVmaf(candidates: string[]): Promise<{ ffmpeg: string; note: string } | null> {
  for (const ffmpeg of candidates.filter((c) => existsSync(c))) {
    for (const model of ['model=version=vmaf_v0.6.1', 'model_path=/usr/share/model/vmaf_v0.6.1.json']) {
      const ok = await run(ffmpeg, [
        '-hide_banner',
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=320x240:duration=0.2',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=320x240:duration=0.2',
        '-lavfi',
        `[0:v][1:v]libvmaf=${model}`,
        '-f',
        'null',
        '-',
      ]).then(
        () => true,
        () => false,
      );
      if (ok) return { ffmpeg, note: `${ffmpeg} with libvmaf ${model}` };
    }
  }
  return null;
}

/**
 * SSIM and PSNR on luma (ffmpeg's filters) of a frame sequence against the reference frames,
 * and VMAF when an ffmpeg with a usable model was found.
 */
export async function quality(
  ffmpeg: string,
  candidate: string[],
  reference: string,
  vmafFfmpeg: string | null,
): Promise<Quality> {
  // scale2ref brings a candidate whose size differs by rounding (an odd height such as our 480×853
  // portrait, against the reference's even 854) to the reference's size; same-size frames pass as they are.
  const pair = '[0:v]format=yuv420p[a0];[1:v]format=yuv420p[b0];[a0][b0]scale2ref=flags=bicubic[a1][b1]';
  const { stderr } = await run(
    ffmpeg,
    [
      '-hide_banner',
      ...candidate,
      '-i',
      reference,
      '-lavfi',
      `${pair};[a1]split[a][c];[b1]split[b][d];[a][b]ssim;[c][d]psnr`,
      '-f',
      'null',
      '-',
    ],
    { maxBuffer: 1 << 26 },
  ).catch((e) => e);
  const ssim = /SSIM Y:([\d.]+)/.exec(stderr);
  const psnr = /PSNR y:([\d.inf]+)/.exec(stderr);
  let vmaf: number | null = null;
  if (vmafFfmpeg) {
    const out = await run(
      vmafFfmpeg,
      [
        '-hide_banner',
        ...candidate,
        '-i',
        reference,
        '-lavfi',
        `${pair};[a1][b1]libvmaf=model=version=vmaf_v0.6.1`,
        '-f',
        'null',
        '-',
      ],
      { maxBuffer: 1 << 26 },
    ).catch((e) => e);
    const m = /VMAF score: ([\d.]+)/.exec(out.stderr ?? '');
    vmaf = m ? Number(m[1]) : null;
  }
  return { ssim: ssim ? Number(ssim[1]) : Number.NaN, psnr: psnr ? Number(psnr[1]) : Number.NaN, vmaf };
}

/**
 * ffmpeg 4.1 can't decode animated WebP (it skips ANIM/ANMF), so libwebp through sharp renders
 * each frame, and frames are repeated by their delay to line up with the reference's fixed rate.
 */
export async function webpFrames(file: string, dir: string, fps: number): Promise<string[]> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const meta = await sharp(file, { animated: true }).metadata();
  const pages = meta.pages ?? 1;
  const interval = 1000 / fps;
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
  return ['-framerate', String(fps), '-i', join(dir, 'f%05d.png')];
}

/** CPU seconds used so far by a live process and the children it has waited for, from /proc. */
export async function cpuSecondsOf(pid: number): Promise<number | null> {
  try {
    const { readFile } = await import('node:fs/promises');
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name: utime, stime, cutime, cstime are 14–17 (1-based), in clock ticks.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    return ticks / 100;
  } catch {
    return null;
  }
}

/** Peak RSS (VmHWM) of a live process, from /proc. */
export async function peakRssMb(pid: number): Promise<number | null> {
  try {
    const { readFile } = await import('node:fs/promises');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}
