import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  parseTemplate,
  QUEUE_NAMES,
  SESSION_NAMES,
  type Template,
  TemplateValidationError,
  toDynamicImageError,
} from '@dynamic-image/core';
import { Command, InvalidArgumentError } from 'commander';
import { describeBinaries, ffmpegVersion, resolveFfmpegBinaries } from './binaries.js';
import { CLI_SOURCES, make } from './cli-make.js';
import { addTemplateFlags, type TemplateFlags, templateFromFlags } from './cli-template-options.js';
import { parseWorkerOptions, workerOptionsFromEnv } from './config.js';
import { probeSource } from './probe.js';
import { generateSample, SAMPLE_KINDS, type SampleKind } from './samples.js';
import { resolveSource } from './source.js';
import { openSource } from './source-gateway.js';

const EXIT_INVALID = 2;
const EXIT_FAILED = 1;

function fail(err: unknown): never {
  if (err instanceof TemplateValidationError) {
    console.error('Invalid template:');
    for (const issue of err.issues) console.error(`  ${issue.field}: ${issue.message}`);
    process.exit(EXIT_INVALID);
  }
  const error = toDynamicImageError(err);
  console.error(`error ${error.code}: ${error.message}`);
  process.exit(
    error.code === 'INVALID_TEMPLATE' || error.code === 'INVALID_JOB' ? EXIT_INVALID : EXIT_FAILED,
  );
}

const program = new Command('dynamic-image')
  .description('Animated GIF and WebP dynamic images cut from videos')
  .showHelpAfterError();

addTemplateFlags(
  program
    .command('make')
    .description('make a dynamic image from a video file or URL')
    .argument('<source>', 'a local path, a file: URL or an http(s) URL')
    .requiredOption('-o, --output <file>', 'where to write the GIF or WebP')
    .option('--timeout <seconds>', 'stop after this long', '600')
    .option('--json', 'print the result as JSON'),
).action(
  async (source: string, flags: TemplateFlags & { output: string; json?: boolean; timeout: string }) => {
    let template: Template;
    try {
      template = templateFromFlags(flags, flags.output);
    } catch (err) {
      fail(err);
    }
    await make(source, flags.output, template, flags).catch(fail);
  },
);

program
  .command('probe')
  .description('show what the worker sees in a source')
  .argument('<source>')
  .action(async (source: string) => {
    try {
      const binaries = resolveFfmpegBinaries();
      const gateway = await openSource(resolveSource(source, CLI_SOURCES), CLI_SOURCES);
      try {
        const probe = await probeSource(binaries, gateway.source, { timeoutMs: 60_000 }).catch((err) => {
          throw gateway.violation() ?? err;
        });
        console.log(JSON.stringify(probe, null, 2));
      } finally {
        await gateway.close();
      }
    } catch (err) {
      fail(err);
    }
  });

program
  .command('binaries')
  .description('show which ffmpeg and ffprobe are used')
  .action(async () => {
    try {
      const binaries = resolveFfmpegBinaries();
      console.log(describeBinaries(binaries, await ffmpegVersion(binaries)));
    } catch (err) {
      console.error((err as Error).message);
      process.exit(EXIT_FAILED);
    }
  });

program
  .command('work')
  .description('run a standalone worker on the pg-boss queue (DATABASE_URL and DYNAMIC_IMAGE_* variables)')
  .option('--database-url <url>', 'PostgreSQL connection string (default: DATABASE_URL)')
  .option('--concurrency <n>', 'jobs at once (default: one per core)', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('an integer ≥ 1');
    return n;
  })
  .option('--allow-file-sources', 'accept local paths and file: URLs as sources')
  .option('--cms-url <url>', "the CMS's public URL: results go only there (default: DYNAMIC_IMAGE_CMS_URL)")
  .option('--file-delivery-dir <dir>', 'accept jobs that write their result into this folder (for `send`)')
  .action(
    async (flags: {
      databaseUrl?: string;
      concurrency?: number;
      allowFileSources?: boolean;
      cmsUrl?: string;
      fileDeliveryDir?: string;
    }) => {
      const env = workerOptionsFromEnv();
      const databaseUrl = flags.databaseUrl ?? env.databaseUrl;
      if (!databaseUrl) {
        console.error('Set DATABASE_URL or --database-url');
        process.exit(EXIT_INVALID);
      }
      // Loaded only here: pg-boss and its driver add a fifth of a second to every `make`.
      const { startWorker } = await import('./worker.js');
      const worker = await startWorker({
        ...env,
        databaseUrl,
        ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
        ...(flags.allowFileSources ? { allowFileSources: true } : {}),
        ...(flags.cmsUrl ? { cmsUrl: flags.cmsUrl } : {}),
        ...(flags.fileDeliveryDir ? { fileDeliveryDir: resolve(flags.fileDeliveryDir) } : {}),
      }).catch((err: Error) => {
        console.error(err.message);
        process.exit(EXIT_INVALID);
      });
      let stopping = false;
      const shutdown = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`[dynamic-image worker] ${signal}: finishing the jobs in hand`);
        await worker.stop();
        process.exit(0);
      };
      process.on('SIGTERM', () => void shutdown('SIGTERM'));
      process.on('SIGINT', () => void shutdown('SIGINT'));
    },
  );

addTemplateFlags(
  program
    .command('send')
    .description('queue a job for the workers (file delivery); prints the job id')
    .argument('<source>')
    .requiredOption('-o, --output <file>', 'where the worker writes the result')
    .option('--database-url <url>', 'PostgreSQL connection string (default: DATABASE_URL)'),
).action(async (source: string, flags: TemplateFlags & { output: string; databaseUrl?: string }) => {
  try {
    const template = templateFromFlags(flags, flags.output);
    const env = workerOptionsFromEnv();
    const databaseUrl = flags.databaseUrl ?? env.databaseUrl;
    if (!databaseUrl) throw new Error('Set DATABASE_URL or --database-url');
    // The same options a worker reads (DYNAMIC_IMAGE_QUEUE_SCHEMA…): a missing queue is made as a
    // worker would make it; a live one is left as it is.
    const options = parseWorkerOptions({ ...env, databaseUrl });
    const { createBoss, ensureQueues, sendJob } = await import('./queue.js');
    const boss = createBoss(options, SESSION_NAMES.cli);
    await boss.start();
    await ensureQueues(boss, options);
    const jobId = `cli-${Date.now()}-${process.pid}`;
    const id = await sendJob(boss, {
      version: 1,
      jobId,
      source: { url: source.includes(':') ? source : resolve(source) },
      template,
      delivery: { kind: 'file', path: resolve(flags.output) },
      // Its own time limit, so its pg-boss expiry follows it whatever the live queue's expiry is.
      timeoutSeconds: options.jobTimeoutSeconds,
    });
    console.log(JSON.stringify({ jobId, queueJobId: id }));
    await boss.stop({ graceful: false });
  } catch (err) {
    fail(err);
  }
});

program
  .command('queue')
  .description("show the job queue's settings; a queue keeps the settings it was made with until --update")
  .option('--database-url <url>', 'PostgreSQL connection string (default: DATABASE_URL)')
  .option('--update', 'set them from the DYNAMIC_IMAGE_* variables (retry, expiry, heartbeat)')
  .action(async (flags: { databaseUrl?: string; update?: boolean }) => {
    try {
      const env = workerOptionsFromEnv();
      const databaseUrl = flags.databaseUrl ?? env.databaseUrl;
      if (!databaseUrl) throw new Error('Set DATABASE_URL or --database-url');
      const options = parseWorkerOptions({ ...env, databaseUrl });
      const { createBoss, updateJobQueue } = await import('./queue.js');
      const boss = createBoss(options, SESSION_NAMES.cli);
      await boss.start();
      const queue = flags.update
        ? await updateJobQueue(boss, options)
        : await boss.getQueue(QUEUE_NAMES.jobs);
      await boss.stop({ graceful: false });
      if (!queue) throw new Error(`No job queue in schema ${options.schema} yet: a CMS or worker makes it`);
      const { retryLimit, retryDelay, retryBackoff, expireInSeconds, heartbeatSeconds, deadLetter } = queue;
      console.log(
        JSON.stringify({
          retryLimit,
          retryDelay,
          retryBackoff,
          expireInSeconds,
          heartbeatSeconds,
          deadLetter,
        }),
      );
    } catch (err) {
      fail(err);
    }
  });

program
  .command('demo')
  .description('generate a sample clip and make a GIF and a WebP from it')
  .argument('[dir]', 'where to write the files', 'demo-output')
  .action(async (dir: string) => {
    const binaries = resolveFfmpegBinaries();
    const target = resolve(dir);
    await mkdir(target, { recursive: true });
    const kind: SampleKind = 'landscape';
    console.error(`generating a ${kind} sample clip in ${target} (one of: ${SAMPLE_KINDS.join(', ')})`);
    const clip = await generateSample(binaries, kind, target, 8);
    for (const format of ['gif', 'webp'] as const) {
      const template = parseTemplate({
        name: `demo-${format}`,
        format,
        fps: 12,
        width: 480,
        captureMethod: 'byDuration',
        start: 2,
        duration: 4,
      });
      await make(clip, resolve(target, `demo.${format}`), template, { timeout: '600' });
    }
  });

program.parseAsync().catch(fail);
