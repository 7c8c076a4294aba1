// The engine imports every handler module when it starts; tfjs, vega and the @stdlib
// tests take seconds to load, so the handlers must load them on first use instead.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../paths';

// A resolve hook reports every package the import graph reaches, over a port.
const HOOK = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  port.postMessage(resolved.url);
  return resolved;
}`;

const PROBE = `
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
const { port1, port2 } = new MessageChannel();
const seen = new Set();
port1.on('message', (url) => {
  const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(url);
  if (match) seen.add(match[1]);
});
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}), {
  data: { port: port2 },
  transferList: [port2],
});
await import(${JSON.stringify(join(repoRoot, 'src/main/api/index.ts'))});
await new Promise((resolve) => setTimeout(resolve, 100));
port1.close();
console.log(JSON.stringify([...seen].sort()));
`;

describe('engine start', () => {
  it('loads no tfjs, vega or @stdlib with the API handlers', () => {
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', PROBE],
      { cwd: repoRoot, encoding: 'utf8' },
    );
    expect(child.stderr).toBe('');
    const packages = JSON.parse(child.stdout) as string[];
    // The probe sees packages: the importer's decoder is among them.
    expect(packages).toContain('sharp');
    expect(packages.filter((p) => /^(@tensorflow\/|vega|@stdlib\/)/.test(p))).toEqual([]);
  });
});
