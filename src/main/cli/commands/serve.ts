// `jaccard serve`: the engine and its bridge for a browser. Prints the address with the
// access token; --open opens it; --dev serves the renderer from vite's dev server (hot
// reload), proxying API, events and media to the engine.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bridge } from '../../bridge';
import { startEngine, stopOnSignals } from '../../engine';
import { printJson, UsageError, type Command } from '../command';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

export const serveCommand: Command = {
  usage: 'serve [--port <n>] [--open] [--dev]',
  summary:
    'Run the app for a web browser on 127.0.0.1 and print its address, which opens the ' +
    'app in one browser only. Stops with Ctrl-C.',
  options: {
    port: { type: 'string', description: "the engine's port (default: a free one)" },
    open: { type: 'boolean', description: 'open the address in the default browser' },
    dev: { type: 'boolean', description: 'serve the renderer from vite (hot reload)' },
  },
  async run({ dataDir, json, values }) {
    const port = values.port === undefined ? undefined : parsePort(values.port as string);
    const engine = await startEngine({ dataDir, port });
    let dev: DevServer | null = null;
    try {
      dev = values.dev ? await startDevServer(engine.bridge, json) : null;
    } catch (error) {
      await engine.close();
      throw error;
    }
    stopOnSignals(async () => {
      await dev?.close();
      await engine.close();
    });
    const url = dev?.url ?? engine.bridge.url;
    if (json) printJson({ url, dataDir, engine: engine.bridge.origin });
    else {
      process.stdout.write(
        `Jaccard is running at ${url}\nData folder: ${dataDir}\n` +
          'The address opens Jaccard in one browser: the first to use it keeps access, ' +
          'others are refused. Press Ctrl-C to stop.\n',
      );
    }
    if (values.open) openBrowser(url);
  },
};

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UsageError(`--port: "${text}" is not a port number.`);
  }
  return port;
}

interface DevServer {
  url: string;
  close(): Promise<void>;
}

async function startDevServer(bridge: Bridge, quiet: boolean): Promise<DevServer> {
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
    // --json output must stay parseable.
    logLevel: quiet ? 'warn' : 'info',
    clearScreen: false,
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
  const fallback = (): void => {
    process.stdout.write('Could not open a browser; open the address above.\n');
  };
  const child = spawn(command!, args, { stdio: 'ignore', detached: true });
  child.on('error', fallback);
  child.on('exit', (code) => code && fallback());
  child.unref();
}
