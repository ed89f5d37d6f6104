// `dynamic-image make`: one job run in this process, written to a file, with a progress bar on a terminal.
import { resolve } from 'node:path';
import type { DynamicImageResult, Template } from '@dynamic-image/core';
import { describeBinaries, resolveFfmpegBinaries } from './binaries.js';
import { deliverToFile } from './delivery.js';
import { runPipeline } from './pipeline.js';

// `make` and `probe` run what the operator typed, so local files and the operator's own network are
// fine; link-local addresses (cloud metadata) stay refused.
export const CLI_SOURCES = { allowFile: true, allowedNetworks: ['0.0.0.0/0', '::/0'] };

function describeResult(path: string, r: DynamicImageResult): string {
  const kb = (r.bytes / 1024).toFixed(1);
  return (
    `${path}  ${r.format} ${r.width}x${r.height}  ${r.fps} fps  ${r.frameCount} frames  ${r.duration.toFixed(2)} s  ${kb} KiB  ` +
    `(${r.encoder?.backend ?? 'ffmpeg'}; window ${r.window.start}–${r.window.end} s${r.window.auto ? ' (chosen automatically)' : ''}; probe ${r.timings.probeMs} ms, encode ${r.timings.encodeMs} ms, verify ${r.timings.verifyMs} ms)`
  );
}

/** Makes the image of `template` from `source` into the file `output`, as a worker would, and prints it. */
export async function make(
  source: string,
  output: string,
  template: Template,
  options: { json?: boolean; timeout: string },
) {
  const binaries = resolveFfmpegBinaries();
  if (!options.json) console.error(describeBinaries(binaries));
  else for (const warning of binaries.warnings) console.error(`WARNING: ${warning}`);
  // The progress bar is loaded only for a terminal: scripts and the bench don't pay for it.
  const bar =
    process.stderr.isTTY && !options.json
      ? new (await import('cli-progress')).SingleBar({
          format: ' {bar} {percentage}% {stage}',
          hideCursor: true,
        })
      : null;
  bar?.start(100, 0, { stage: 'probe' });
  const target = resolve(output);
  try {
    const result = await runPipeline(
      {
        version: 1,
        jobId: `cli-${process.pid}-${Date.now()}`,
        source: { url: source },
        template,
        delivery: { kind: 'file', path: target },
      },
      {
        binaries,
        tmpDir: process.env.DYNAMIC_IMAGE_TMP_DIR ?? (await import('node:os')).tmpdir(),
        sourcePolicy: CLI_SOURCES,
        timeoutSeconds: Number(options.timeout),
        onProgress: (p) => bar?.update(p.percent, { stage: p.stage }),
      },
      async (out) => {
        await deliverToFile(
          {
            version: 1,
            jobId: 'cli',
            source: { url: source },
            template,
            delivery: { kind: 'file', path: target },
          },
          out,
        );
        return out.result;
      },
    );
    bar?.update(100, { stage: 'done' });
    bar?.stop();
    console.log(options.json ? JSON.stringify(result) : describeResult(output, result));
  } catch (err) {
    bar?.stop();
    throw err;
  }
}
