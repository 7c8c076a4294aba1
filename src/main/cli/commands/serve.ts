// `jaccard serve`: the engine and its bridge for a browser. Prints the address with the
// access token; --open opens it; --dev serves the renderer from vite's dev server (hot
// reload), proxying API, events and media to the engine.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bridge } from '../../bridge';
import { startEngine, stopOnSignals } from '../../engine';

export interface ServeOptions {
  dataDir: string;
  /** The bridge's port; a free one when absent. */
  port?: number;
  open?: boolean;
  dev?: boolean;
  json?: boolean;
}

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

export async function serve(options: ServeOptions): Promise<void> {
  const engine = await startEngine({ dataDir: options.dataDir, port: options.port });
  let dev: DevServer | null = null;
  try {
    dev = options.dev ? await startDevServer(engine.bridge) : null;
  } catch (error) {
    await engine.close();
    throw error;
  }
  stopOnSignals(async () => {
    await dev?.close();
    await engine.close();
  });
  const url = dev?.url ?? engine.bridge.url;
  if (options.json) {
    console.log(JSON.stringify({ url, dataDir: options.dataDir, bridge: engine.bridge.origin }));
  } else {
    console.log(`Jaccard is running at ${url}`);
    console.log(`Data folder: ${options.dataDir}`);
    console.log('The address carries a one-time access token; press Ctrl-C to stop.');
  }
  if (options.open) openBrowser(url);
}

interface DevServer {
  url: string;
  close(): Promise<void>;
}

async function startDevServer(bridge: Bridge): Promise<DevServer> {
  // Dev-only dependencies, loaded only here so `serve` itself needs neither.
  const { createServer } = await import('vite');
  const { default: config } = (await import('../../../../electron.vite.config')) as {
    default: { renderer?: Record<string, unknown> };
  };
  const proxy = { target: bridge.origin, changeOrigin: true };
  const server = await createServer({
    ...config.renderer,
    configFile: false,
    root: join(repoRoot, 'src', 'renderer'),
    server: {
      host: '127.0.0.1',
      proxy: { '/api': proxy, '/events': proxy, '/media': proxy },
    },
  });
  await server.listen();
  const local = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${server.config.server.port}/`;
  return { url: `${local}?token=${bridge.token}`, close: () => server.close() };
}

function openBrowser(url: string): void {
  const [command, ...args] =
    process.platform === 'darwin'
      ? ['open', url]
      : process.platform === 'win32'
        ? ['cmd', '/c', 'start', '""', url]
        : ['xdg-open', url];
  const fallback = (): void => console.log(`Could not open a browser; open the address above.`);
  const child = spawn(command!, args, { stdio: 'ignore', detached: true });
  child.on('error', fallback);
  child.on('exit', (code) => code && fallback());
  child.unref();
}
