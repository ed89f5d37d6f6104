// One standalone worker, as `dynamic-image work` runs it, that also reports when each job reaches
// each stage (on stdout, one JSON line per event, wall-clock ms) so the bench can split a job's time
// into queue, probe, encode and delivery. Its own peak RSS is read by the bench from /proc.
//   node src/worker-process.ts <databaseUrl> <concurrency>
import { tmpdir } from 'node:os';
import { startWorker } from '@dynamic-image/worker';

const [databaseUrl, concurrency] = process.argv.slice(2);
const now = () => performance.timeOrigin + performance.now();
const emit = (event: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ ...event, t: now() })}\n`);
const seen = new Set<string>();

const worker = await startWorker(
  {
    databaseUrl: databaseUrl as string,
    concurrency: Number(concurrency ?? 1),
    allowFileSources: true,
    // The bench's jobs write their results into its folders under the system's temporary folder.
    fileDeliveryDir: tmpdir(),
  },
  {
    log: () => {},
    onProgress: (p) => {
      const key = `${p.jobId}:${p.stage}`;
      if (seen.has(key)) return;
      seen.add(key);
      emit({ type: 'stage', jobId: p.jobId, stage: p.stage });
    },
    onOutcome: (o) => {
      emit({ type: 'outcome', ...o });
    },
  },
);
emit({ type: 'ready' });
process.on('SIGTERM', () => {
  void worker.stop().then(() => process.exit(0));
});
