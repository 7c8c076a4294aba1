// `jaccard gc [--dry-run] [--min-age <minutes>]`: removes files of the data folder that
// no dataset, mask or run refers to (see gc.ts), and says what it freed.
import { formatBytes } from '../../files';
import { collectGarbage, DEFAULT_MIN_AGE_MS } from '../../gc';
import { printJson, UsageError, withContext, type Command } from '../command';

export const gcCommand: Command = {
  usage: 'gc [--dry-run] [--min-age <minutes>]',
  summary:
    'Remove files in the data folder that nothing refers to: copies a killed import or ' +
    'delete left behind. Files a running import may still commit are kept. The engine ' +
    'does this at every start.',
  options: {
    'dry-run': { type: 'boolean', description: 'count what would be removed, remove nothing' },
    'min-age': {
      type: 'string',
      description: `keep unreferenced files younger than this (default ${DEFAULT_MIN_AGE_MS / 60_000})`,
    },
  },
  async run({ dataDir, json, positionals, values }) {
    if (positionals.length > 0) throw new UsageError('gc takes no arguments.');
    const minutes = values['min-age'] === undefined ? undefined : Number(values['min-age']);
    if (minutes !== undefined && !(Number.isFinite(minutes) && minutes >= 0)) {
      throw new UsageError(`--min-age: "${String(values['min-age'])}" is not a number of minutes.`);
    }
    const dryRun = values['dry-run'] === true;
    const report = await withContext(dataDir, (ctx) =>
      collectGarbage(ctx, {
        dryRun,
        minAgeMs: minutes === undefined ? undefined : minutes * 60_000,
      }),
    );
    if (json) return printJson(report);
    const verb = dryRun ? 'Would remove' : 'Removed';
    const lines = [
      `${verb} ${report.files} unreferenced file(s), ${formatBytes(report.bytes)}` +
        (report.tempFiles ? `, and ${report.tempFiles} temp file(s) of stopped writers.` : '.'),
    ];
    if (report.recent > 0) {
      lines.push(`Kept ${report.recent} unreferenced file(s) too recent to be sure of.`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  },
};
