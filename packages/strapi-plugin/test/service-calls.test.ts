// The plugin's services reach each other by name (getService(strapi, 'jobs')), which no import-graph tool
// follows: this reads the sources and checks that no service calls, through others, back into itself.
// What reports back is wired in bootstrap.ts instead, and what several services need lies below them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SERVICES = join(import.meta.dirname, '../server/src/services');

/** Each service's name (its key in services/index.ts) and the files it is made of. */
function services(): Map<string, string[]> {
  const index = readFileSync(join(SERVICES, 'index.ts'), 'utf8');
  const out = new Map<string, string[]>();
  for (const [, name, path] of index.matchAll(/^import (\w+) from '\.\/([\w-]+)';$/gm)) {
    const dir = join(SERVICES, path as string);
    const files = statSync(dir, { throwIfNoEntry: false })?.isDirectory()
      ? readdirSync(dir).map((f) => join(dir, f))
      : [`${dir}.ts`];
    out.set(name as string, files);
  }
  return out;
}

/** The services a piece of source calls: getService(strapi, 'x') or strapi.plugin('dynamic-image').service('x'). */
function calledServices(source: string): string[] {
  const calls = [
    ...source.matchAll(/getService\(\s*strapi\s*,\s*'(\w+)'\s*\)/g),
    ...source.matchAll(/plugin\('dynamic-image'\)\s*\.service\('(\w+)'\)/g),
    ...source.matchAll(/plugin\(\)\s*\.service\('(\w+)'\)/g),
  ];
  return [...new Set(calls.map((m) => m[1] as string))];
}

function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const walk = (node: string, path: string[]) => {
    for (const next of graph.get(node) ?? []) {
      if (next === path[0]) found.push([...path, next]);
      else if (!path.includes(next) && next > (path[0] as string)) walk(next, [...path, next]);
    }
  };
  for (const start of graph.keys()) walk(start, [start]);
  return found;
}

describe('calls between the plugin services', () => {
  it('finds the calls in both spellings', () => {
    expect(
      calledServices(
        "getService(strapi, 'jobs').get(); strapi.plugin('dynamic-image').service('queue'); plugin().service('events')",
      ).sort(),
    ).toEqual(['events', 'jobs', 'queue']);
  });

  it('finds a cycle', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
    ]);
    expect(cycles(graph)).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('have no cycle', () => {
    const graph = new Map<string, string[]>();
    for (const [name, files] of services()) {
      const called = files.flatMap((f) => calledServices(readFileSync(f, 'utf8')));
      graph.set(
        name,
        [...new Set(called)].filter((c) => c !== name),
      );
    }
    expect(graph.size).toBeGreaterThan(10);
    expect(cycles(graph)).toEqual([]);
  });
});
