export * from './contract.js';
export * from './errors.js';
export * from './geometry.js';
export * from './probe.js';
export * from './template.js';
export * from './time.js';
export * from './timing.js';
export * from './window.js';
