// The WebP encoder comparison (issue 14): ffmpeg's libwebp (the system's, through the worker's command)
// against libwebp 1.6 through sharp, at equal SSIM. Each encoder's quality ladder (q60–q85, effort 4) is a
// bytes-against-SSIM curve; the other curve is read at the same SSIM by linear interpolation.
import type { Measure } from './report.ts';

const FFMPEG = /^WebP q(\d+) compression_level 4$/;
const SHARP = /^sharp WebP q(\d+) effort 4$/;

/** A curve's bytes at this SSIM, between its two nearest points; null outside the curve. */
function bytesAt(curve: Measure[], ssim: number): number | null {
  const points = curve
    .filter((m) => m.ssim != null && m.bytes != null)
    .sort((a, b) => (a.ssim as number) - (b.ssim as number));
  for (let i = 1; i < points.length; i++) {
    const [lo, hi] = [points[i - 1] as Measure, points[i] as Measure];
    const [s0, s1] = [lo.ssim as number, hi.ssim as number];
    if (ssim < s0 || ssim > s1) continue;
    const t = s1 === s0 ? 0 : (ssim - s0) / (s1 - s0);
    return (lo.bytes as number) + t * ((hi.bytes as number) - (lo.bytes as number));
  }
  return null;
}

export interface WebpEncoderComparison {
  clip: string;
  /** sharp's bytes for the SSIM of ffmpeg's q75, as a share of ffmpeg's bytes. */
  sharpShare: number | null;
  ffmpegQ75: Measure;
  sharpQ75: Measure | undefined;
  /** CPU of sharp's q75 (decode included) against ffmpeg's q75. */
  cpuRatio: number | null;
  /** The other sharp settings at q75, each as bytes and SSIM. */
  options: Measure[];
}

export function compareWebpEncoders(variants: Measure[]): WebpEncoderComparison[] {
  const clips = [...new Set(variants.map((v) => `${v.kind} ${v.size}`))];
  return clips.flatMap((clip) => {
    const of = variants.filter((v) => `${v.kind} ${v.size}` === clip);
    const ffmpeg = of.filter((v) => FFMPEG.test(v.method));
    const sharp = of.filter((v) => SHARP.test(v.method));
    const ffmpegQ75 = ffmpeg.find((v) => v.method === 'WebP q75 compression_level 4');
    if (!ffmpegQ75 || sharp.length < 2 || ffmpegQ75.ssim == null || ffmpegQ75.bytes == null) return [];
    const sharpQ75 = sharp.find((v) => v.method === 'sharp WebP q75 effort 4');
    const at = bytesAt(sharp, ffmpegQ75.ssim);
    const cpu =
      sharpQ75?.cpuSeconds && ffmpegQ75.cpuSeconds ? sharpQ75.cpuSeconds / ffmpegQ75.cpuSeconds : null;
    return [
      {
        clip,
        sharpShare: at === null ? null : at / ffmpegQ75.bytes,
        ffmpegQ75,
        sharpQ75,
        cpuRatio: cpu,
        options: of.filter((v) => v.method.startsWith('sharp WebP q75 effort 4 ')),
      },
    ];
  });
}

const kib = (b: number | null | undefined) => (b == null ? '–' : `${(b / 1024).toFixed(0)} KiB`);
const f = (n: number | null | undefined, d = 3) => (n == null ? '–' : n.toFixed(d));

/** One line per clip, for the report. */
export function describeWebpEncoders(rows: WebpEncoderComparison[]): string[] {
  return rows.map((c) => {
    const share =
      c.sharpShare === null ? 'outside its curve' : `${(c.sharpShare * 100).toFixed(0)} % of the bytes`;
    const options = c.options
      .map((o) => `${o.method.replace('sharp WebP q75 effort 4 ', '')} ${kib(o.bytes)} at SSIM ${f(o.ssim)}`)
      .join(', ');
    return `${c.clip}: at ffmpeg q75's SSIM ${f(c.ffmpegQ75.ssim)} (${kib(c.ffmpegQ75.bytes)}), sharp needs ${share}; sharp q75 ${kib(c.sharpQ75?.bytes)} at SSIM ${f(c.sharpQ75?.ssim)}, ${f(c.cpuRatio, 2)}× ffmpeg's CPU${options ? `; sharp q75 with ${options}` : ''}`;
  });
}

/** The report's section: the comparison per clip, and which encoder the figures choose. */
export function webpEncoderSection(variants: Measure[], note = ''): string[] {
  const rows = compareWebpEncoders(variants);
  if (!rows.length) return [];
  const shares = rows.flatMap((c) => (c.sharpShare === null ? [] : [c.sharpShare]));
  const sharpWins = shares.length > 0 && shares.every((s) => s < 0.95);
  return [
    "### WebP encoders: ffmpeg's libwebp against libwebp 1.6 through sharp",
    '',
    `The same frames (ffmpeg decodes and scales for both), each encoder at q60–q85 and effort 4; the other's bytes are read off its curve at the SSIM of ffmpeg's q75, our default.${note}`,
    '',
    ...describeWebpEncoders(rows).map((line) => `- ${line}`),
    '',
    sharpWins
      ? '**libwebp 1.6 through sharp wins**: more than 5 % fewer bytes at equal SSIM on every clip.'
      : `**ffmpeg's libwebp stays**: at equal SSIM, libwebp 1.6 through sharp takes ${shares.map((s) => `${(s * 100).toFixed(0)} %`).join(', ')} of its bytes, for more CPU, and sharp's WebP writer takes the whole animation at once where ffmpeg streams its frames.${minSizeNote(rows)}`,
    '',
  ];
}

/** What `minSize` (libwebp's exhaustive choice of key frames and sub-frame rectangles) did, per clip. */
function minSizeNote(rows: WebpEncoderComparison[]): string {
  const gains = rows.flatMap((c) => {
    const min = c.options.find((o) => o.method.endsWith(' minSize'));
    const base = c.sharpQ75;
    if (!min?.bytes || !base?.bytes || min.ssim == null || base.ssim == null) return [];
    return [
      `${c.clip} ${((min.bytes / base.bytes - 1) * 100).toFixed(0)} % bytes, SSIM ${min.ssim >= base.ssim ? '+' : ''}${(min.ssim - base.ssim).toFixed(3)}`,
    ];
  });
  return gains.length
    ? ` sharp's \`minSize\`, which ffmpeg's encoder does not expose, against sharp q75: ${gains.join('; ')}; using it would need a WebP writer that takes frames in chunks, as the GIF backend does.`
    : '';
}
