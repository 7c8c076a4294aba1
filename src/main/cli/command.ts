// What a `jaccard` subcommand declares, and what the dispatcher hands it.
import { ApiError } from '#shared/errors';
import { createContext, type AppContext } from '../context';
import { fsReason } from '../files';
import { ensureDataDir } from '../paths';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  description: string;
}

export interface CommandArgs {
  /** The data folder (--db's folder, or the default one). */
  dataDir: string;
  json: boolean;
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

export interface Command {
  /** After `jaccard `, e.g. `import <folder> [--name <dataset>]`. */
  usage: string;
  summary: string;
  options?: Record<string, OptionSpec>;
  /** Resolves when done; long-running commands (serve) resolve once started. */
  run(args: CommandArgs): Promise<void>;
}

/** A mistake in how the command was typed: exit code 2 and the command's usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Opens the store of a data folder, with a clear error when the folder is unusable. */
export function openContext(dataDir: string): AppContext {
  try {
    ensureDataDir(dataDir);
    return createContext(dataDir);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && (code.startsWith('E') || code.startsWith('SQLITE_'))) {
      throw new ApiError('io', `Cannot open the data folder ${dataDir}: ${fsReason(error)}.`);
    }
    throw error;
  }
}

/** Runs fn with the data folder's store open, and closes it after. */
export async function withContext<T>(
  dataDir: string,
  fn: (ctx: AppContext) => Promise<T> | T,
): Promise<T> {
  const ctx = openContext(dataDir);
  try {
    return await fn(ctx);
  } finally {
    ctx.db.close();
  }
}

/**
 * Ctrl-C for a long command: the first asks the work to stop (the signal aborts) and says
 * what stops and how to go on from there; a second quits at once. `release` removes it.
 */
export function stopOnCtrlC(
  stopping: string,
  resume: string,
): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    process.stderr.write(`\n${stopping} (Ctrl+C again quits at once; ${resume}).\n`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, release: () => process.off('SIGINT', onSigint) };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
