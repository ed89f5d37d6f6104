import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { resolveFfmpegBinaries } from '../../src/binaries.js';
import { generateSample, SAMPLE_KINDS, type SampleKind } from '../../src/samples.js';
import { startTestDatabase } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    samples: Record<SampleKind, string>;
    workDir: string;
  }
}

export default async function setup(project: TestProject) {
  const workDir = await mkdtemp(join(tmpdir(), 'dynamic-image-worker-test-'));
  const binaries = resolveFfmpegBinaries();
  const samples = {} as Record<SampleKind, string>;
  for (const kind of SAMPLE_KINDS) samples[kind] = await generateSample(binaries, kind, workDir, 6);
  const database = await startTestDatabase();
  project.provide('databaseUrl', database.url);
  project.provide('samples', samples);
  project.provide('workDir', workDir);
  return async () => {
    await database.stop();
    await rm(workDir, { recursive: true, force: true });
  };
}
