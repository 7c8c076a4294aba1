// `jaccard experiments [--id <n> --report <file.html>]`: the experiments so far, each grid
// with what it varies and how far it got, as the app's Experiment list shows them; with
// --id and --report, one's report as it stands, without training anything.
import { describeGrid, describeProtocol, type Experiment } from '#shared/api/experiments';
import { duration, MISSING } from '#shared/format';
import { describeExperiment, experimentCells } from '../../experiment/cells';
import { experimentReport, writeExperimentReport } from '../../experiment/report';
import { getExperimentRecord, listExperimentRecords } from '../../store/experiments';
import { markDeadRunsInterrupted } from '../../store/runs';
import { printJson, UsageError, withContext, type Command } from '../command';
import { printList } from '../helpers';

export const experimentsCommand: Command = {
  usage: 'experiments [--id <n> --report <file.html>]',
  summary:
    'List experiments: each grid, what it varies, how many of its runs finished and, while ' +
    'it trains, about how long it has left. With ' +
    "--id and --report, write that experiment's report as it stands (finished runs only).",
  options: {
    id: { type: 'string', description: 'the experiment to report on' },
    report: {
      type: 'string',
      description:
        'write its HTML report here (and <name>.sparsity.svg, .sweep.svg, .labelled.svg)',
    },
  },
  async run({ dataDir, json, values }) {
    const { id, report } = values;
    if ((id === undefined) !== (report === undefined))
      throw new UsageError('--id and --report go together: which experiment, and where to.');
    if (typeof id === 'string' && typeof report === 'string') {
      const number = Number(id);
      if (!Number.isInteger(number) || number < 1)
        throw new UsageError(`--id: "${id}" is not an experiment id.`);
      const written = await withContext(dataDir, async (ctx) => {
        markDeadRunsInterrupted(ctx.db);
        const record = getExperimentRecord(ctx.db, number);
        const cells = experimentCells(ctx.db, record);
        return writeExperimentReport(await experimentReport(ctx, record, cells), report);
      });
      if (json) printJson(written);
      else
        for (const [what, path] of Object.entries(written))
          process.stdout.write(`Wrote the ${what} to ${path}\n`);
      return;
    }
    const experiments = await withContext(dataDir, (ctx) => {
      // A `jaccard experiment` killed meanwhile left its runs 'running'; count them as stopped.
      markDeadRunsInterrupted(ctx.db);
      return listExperimentRecords(ctx.db).map((record) => describeExperiment(ctx.db, record));
    });
    printList(
      experiments,
      json,
      rows,
      'No experiments yet. Start one with: jaccard experiment --help',
    );
  },
};

function rows(experiments: readonly Experiment[]): string[][] {
  return [
    ['ID', 'NAME', 'PROTOCOL', 'FINISHED', 'STOPPED', 'LEFT', 'WHAT IT VARIES'],
    ...experiments.map(({ id, name, protocol, counts, remainingSeconds, grid }) => {
      const protocolLine = describeProtocol(protocol);
      // An unnamed experiment is named after its protocol; saying it twice hides the rest.
      return [
        String(id),
        name === protocolLine ? '-' : name,
        protocolLine,
        `${counts.finished}/${counts.total}${counts.running ? ` (${counts.running} running)` : ''}`,
        String(counts.stopped),
        // Measured while cells train; "about", as in the app.
        remainingSeconds === null ? MISSING : `~${duration(remainingSeconds)}`,
        describeGrid(grid),
      ];
    }),
  ];
}
