#!/usr/bin/env node
// The `dynamic-image` command. V8's compile cache is turned on before the program's modules load, so
// later runs skip parsing and compiling them (zod, commander, the pipeline): a run is mostly start-up
// when ffmpeg has little to do. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
import { enableCompileCache } from 'node:module';

enableCompileCache?.();
await import('./program.js');
