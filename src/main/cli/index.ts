// `jaccard <command> [options]`: the headless face of the app. Global options: --db <file>
// (the store; its folder is the data folder) and --json (machine-readable output).
// Exit codes: 0 done, 1 failed, 2 mistyped command.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { toWireError } from '#shared/errors';
import { DATABASE_FILE, defaultDataDir } from '../paths';
import { UsageError, type Command, type CommandArgs, type OptionSpec } from './command';

// Loaded on demand: some commands pull in TensorFlow.js or vite, which take seconds.
const COMMANDS: Record<string, () => Promise<Command>> = {
  import: async () => (await import('./commands/import')).importCommand,
  datasets: async () => (await import('./commands/datasets')).datasetsCommand,
  train: async () => (await import('./commands/train')).trainCommand,
  evaluate: async () => (await import('./commands/evaluate')).evaluateCommand,
  predict: async () => (await import('./commands/predict')).predictCommand,
  prelabel: async () => (await import('./commands/prelabel')).prelabelCommand,
  masks: async () => (await import('./commands/masks')).masksCommand,
  runs: async () => (await import('./commands/runs')).runsCommand,
  serve: async () => (await import('./commands/serve')).serveCommand,
  engine: async () => (await import('./commands/engine')).engineCommand,
  compare: async () => (await import('./commands/compare')).compareCommand,
  experiment: async () => (await import('./commands/experiment')).experimentCommand,
  experiments: async () => (await import('./commands/experiments')).experimentsCommand,
  gc: async () => (await import('./commands/gc')).gcCommand,
  export: async () => (await import('./commands/export')).exportCommand,
};

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  db: {
    type: 'string',
    description: `the store file (default: ${DATABASE_FILE} in ${defaultDataDir()})`,
  },
  json: { type: 'boolean', description: 'print JSON instead of text' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const load = name === 'help' && rest[0] ? COMMANDS[rest[0]] : undefined;
    (name === undefined ? process.stderr : process.stdout).write(
      load ? commandHelp(await load()) : await generalHelp(),
    );
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`jaccard: unknown command "${name}".\n\n${await generalHelp()}`);
    return 2;
  }
  const command = await load();

  let json = rest.includes('--json');
  try {
    const { values, positionals } = parseArgs({
      args: [...rest],
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      process.stdout.write(commandHelp(command));
      return 0;
    }
    json = values.json === true;
    const dataDir = dataDirOf(values.db as string | undefined);
    await command.run({ dataDir, json, positionals, values: values as CommandArgs['values'] });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      process.stderr.write(
        `jaccard ${name}: ${(error as Error).message}\n\n${commandHelp(command)}`,
      );
      return 2;
    }
    const wire = toWireError(error);
    if (json) process.stdout.write(`${JSON.stringify({ error: wire }, null, 2)}\n`);
    else if (wire.code === 'internal' && error instanceof Error) {
      process.stderr.write(`jaccard ${name}: unexpected error\n${error.stack ?? error.message}\n`);
    } else process.stderr.write(`jaccard ${name}: ${wire.message}\n`);
    return 1;
  }
}

/** --db names the store file; the data folder (files, thumbnails, runs) is its folder. */
function dataDirOf(db: string | undefined): string {
  if (db === undefined) return defaultDataDir();
  const path = resolve(db);
  if (existsSync(path) && statSync(path).isDirectory()) return path;
  if (basename(path) !== DATABASE_FILE) {
    throw new UsageError(
      `--db: the store file is always named ${DATABASE_FILE}; pass ${resolve(dirname(path), DATABASE_FILE)} or a folder.`,
    );
  }
  return dirname(path);
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  return Object.entries(options).map(([key, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${key}${spec.type === 'string' ? ' <value>' : ''}`;
    return `  ${flag.padEnd(26)} ${spec.description}`;
  });
}

/** Loads every command for its summary: slower than running one, but only on request. */
async function generalHelp(): Promise<string> {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines: string[] = [];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const firstSentence = (await load()).summary.split(/(?<=\.)\s/)[0];
    lines.push(`  ${name.padEnd(width)}  ${firstSentence}`);
  }
  return [
    'Usage: jaccard <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Options for every command:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    "Run 'jaccard <command> --help' for a command's options.",
    '',
  ].join('\n');
}

function commandHelp(command: Command): string {
  return [
    `Usage: jaccard ${command.usage}`,
    '',
    command.summary,
    '',
    'Options:',
    ...optionLines({ ...command.options, ...GLOBAL_OPTIONS }),
    '',
  ].join('\n');
}
