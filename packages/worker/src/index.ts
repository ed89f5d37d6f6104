export { type AnimationInfo, inspectAnimation } from './animation.js';
export { describeBinaries, type FfmpegBinaries, resolveFfmpegBinaries } from './binaries.js';
export {
  parseWorkerOptions,
  type WorkerOptions,
  type WorkerOptionsInput,
  workerOptionsFromEnv,
} from './config.js';
export { deliverToFile } from './delivery.js';
export { buildEncodeRuns, DEFAULT_ENCODE_SETTINGS, type EncodeSettings } from './encode.js';
export { httpDelivery, signedHeaders } from './http-delivery.js';
export { type PipelineOptions, type PipelineOutput, runPipeline } from './pipeline.js';
export { probeSource } from './probe.js';
export { createBoss, ensureQueues, queueJobId, sendJob } from './queue.js';
export { generateSample, SAMPLE_KINDS, type SampleKind } from './samples.js';
export { resolveSource, type SourcePolicy } from './source.js';
export {
  type Deliver,
  type JobOutcome,
  type JobOutput,
  type RunningWorker,
  startWorker,
  type WorkerHooks,
} from './worker.js';
