// The template flags of `make` and `send`, and the template they describe. Commander reads the flags; core
// validates the values (a bad one is refused with core's message, exit code 2), so nothing is judged here.
import { extname } from 'node:path';
import { parseTemplate, type Template } from '@dynamic-image/core';
import { type Command, Option } from 'commander';

export interface TemplateFlags {
  name: string;
  format?: string;
  fps: number | string;
  width?: number | string;
  height?: number | string;
  start: number | string;
  duration?: number | string;
  trimEnd?: number | string;
  profile?: string;
  plays?: number | string;
  speed?: number | string;
  boomerang?: boolean;
  longSide?: boolean;
  webpQuality?: number | string;
  lossless?: boolean;
  colors?: number | string;
  dither?: number | string;
}

// Times may be seconds ("3.5") or VOD-style "hh:mm:ss.SSS" (and a start "auto"); core validates them.
const time = (value: string) => (value.includes(':') || value === 'auto' ? value : Number(value));
// Anything not a number stays a string, for core to refuse by name ("expected number, got abc").
const number = (value: string) => (/^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value);

/** The flags, each read into the value its template field takes. */
export function addTemplateFlags(command: Command): Command {
  const flag = (flags: string, description: string, parse = number) =>
    new Option(flags, description).argParser(parse);
  return command
    .addOption(new Option('--format <format>', 'gif or webp (default: from the output extension)'))
    .addOption(flag('--fps <fps>', 'frames per second, an integer in (0, 60]').default(10))
    .addOption(flag('--width <px>', 'output width in [128, 4096]; the height follows the aspect ratio'))
    .addOption(flag('--height <px>', 'output height in [128, 4096]; the width follows the aspect ratio'))
    .addOption(
      flag(
        '--start <time>',
        'window start, seconds or hh:mm:ss.SSS, or auto (the most active window)',
        time,
      ).default(0),
    )
    .addOption(flag('--duration <time>', 'window length (capture by duration; default 3)', time))
    .addOption(flag('--trim-end <time>', 'cut this much off the end instead (capture by trimming)', time))
    .option('--name <name>', 'template name', 'cli-template')
    .option('--profile <profile>', 'encoder profile: balanced (default), quality, small or fast')
    .addOption(flag('--plays <n>', 'how many times it plays, 0 forever (default)'))
    .addOption(flag('--speed <x>', 'playback speed in [0.25, 4], same frames (default 1)'))
    .option('--boomerang', 'play forward, then backward')
    .option('--long-side', 'width is the long side: a portrait video stays portrait')
    .addOption(flag('--webp-quality <1-100>', "WebP quality (default: the profile's)"))
    .option('--lossless', 'lossless WebP (no --webp-quality then)')
    .addOption(flag('--colors <n>', 'GIF palette colours in [4, 256] (default 256)'))
    .addOption(flag('--dither <0-1>', "GIF dither strength, 0 none to 1 the most (default: the profile's)"));
}

export function templateFromFlags(flags: TemplateFlags, output?: string): Template {
  const fromExtension = output ? extname(output).slice(1).toLowerCase() : undefined;
  const input: Record<string, unknown> = {
    name: flags.name,
    format: flags.format ?? (fromExtension === 'webp' ? 'webp' : 'gif'),
    fps: flags.fps,
    start: flags.start,
  };
  const fields = {
    profile: flags.profile,
    width: flags.width,
    height: flags.height,
    loopCount: flags.plays,
    speed: flags.speed,
    boomerang: flags.boomerang,
    sizeMode: flags.longSide ? 'longSide' : undefined,
    webpQuality: flags.webpQuality,
    webpLossless: flags.lossless,
    gifColors: flags.colors,
    gifDither: flags.dither,
  };
  for (const [field, value] of Object.entries(fields)) if (value !== undefined) input[field] = value;
  if (flags.trimEnd !== undefined) {
    input.captureMethod = 'trimBeginEnd';
    input.trimEnd = flags.trimEnd;
    if (flags.duration !== undefined) input.duration = flags.duration;
  } else {
    input.captureMethod = 'byDuration';
    input.duration = flags.duration ?? 3;
  }
  return parseTemplate(input);
}
