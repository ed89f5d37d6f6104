// The resolution class an output is billed in, as VOD services bill transcoding: by the output's long and
// short side, not by the template's name for it. The rule is ApsaraVideo VOD's "Specification" (the same
// tiers as Alibaba Cloud MPS's transcoding fees): an output is in the first class whose long side and short
// side both hold it, so a side past a class's bound moves it up.
//   https://www.alibabacloud.com/help/en/vod/developer-reference/parameters-for-media-assets
//   https://www.alibabacloud.com/help/en/mps/product-overview/audio-and-video-transcoding-fees
// LD [.., 640 × 480], SD (.., 1280 × 720], HD (.., 1920 × 1080], 2K (.., 2560 × 1440], 4K (.., 3840 × 2160];
// past 4K, 8K (Tencent Cloud VOD's top tier, short side ≤ 4320; larger outputs are billed there too).

export const RESOLUTION_CLASSES = ['LD', 'SD', 'HD', '2K', '4K', '8K'] as const;
export type ResolutionClass = (typeof RESOLUTION_CLASSES)[number];

/** Each class's largest long side and short side, in pixels; the last class takes everything above. */
export const RESOLUTION_CLASS_BOUNDS: ReadonlyArray<{ class: ResolutionClass; long: number; short: number }> =
  [
    { class: 'LD', long: 640, short: 480 },
    { class: 'SD', long: 1280, short: 720 },
    { class: 'HD', long: 1920, short: 1080 },
    { class: '2K', long: 2560, short: 1440 },
    { class: '4K', long: 3840, short: 2160 },
  ];

/** The class of a `width` × `height` output (either orientation: a portrait output is classed by its sides). */
export function resolutionClass(width: number, height: number): ResolutionClass {
  if (!Number.isFinite(width) || !Number.isFinite(height) || width <= 0 || height <= 0)
    throw new RangeError(`Not an output size: ${width} × ${height}`);
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  return RESOLUTION_CLASS_BOUNDS.find((b) => long <= b.long && short <= b.short)?.class ?? '8K';
}
