// file-type 21 is ESM-only and declares its types under `exports`, which the server build's `Node`
// resolution doesn't read; Node ≥ 22.12 (the app's engine) loads it with require(). The part used:
declare module 'file-type' {
  export interface FileTypeResult {
    ext: string;
    mime: string;
  }
  export function fileTypeFromFile(path: string): Promise<FileTypeResult | undefined>;
  export function fileTypeFromBuffer(buffer: Uint8Array | ArrayBuffer): Promise<FileTypeResult | undefined>;
}
