/** What the worker learns about a source before planning; filled from ffprobe. */
export interface SourceProbe {
  formatName: string;
  /** Seconds of media, measured from the first presentable instant. */
  duration: number;
  /** The container's start_time offset; windows never depend on it. */
  startTime: number;
  video: VideoStreamInfo | null;
  hasAudio: boolean;
}

export type Rotation = 0 | 90 | 180 | 270;

export interface VideoStreamInfo {
  codec: string;
  /** Coded size, before rotation and sample aspect ratio. */
  width: number;
  height: number;
  /** Clockwise rotation to apply for display. */
  rotation: Rotation;
  /** Pixel aspect ratio; 1 when unknown. */
  sampleAspectRatio: number;
  frameRate: number | null;
  frameCount: number | null;
}

/** Any angle to the nearest quarter turn, clockwise, in [0, 360). */
export function normaliseRotation(degrees: number): Rotation {
  if (!Number.isFinite(degrees)) return 0;
  const quarter = ((Math.round(degrees / 90) % 4) + 4) % 4;
  return (quarter * 90) as Rotation;
}
