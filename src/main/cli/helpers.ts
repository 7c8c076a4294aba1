// What the CLI's commands share: names made safe to print, tables and listings, and the
// exit that threaded wasm would otherwise hold up. Commands import these from here, never
// from a sibling command; a dataset or run named by id or name is the store's to resolve
// (resolveDatasetId, resolveRunId), as the experiment planner does too.
import { printJson } from './command';

/**
 * Control characters (C0, DEL, C1) and bidirectional overrides as visible escapes: a file
 * name may carry any of them, and printed raw they drive the terminal (colours, cursor
 * moves, hidden or reordered text) instead of showing what the name is.
 */
export function printable(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Columns padded to their widest cell; the first row is the header. */
export function table(cells: readonly string[][]): string {
  const rows = cells.map((r) => r.map(printable));
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => cell.padEnd(widths[c]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** A listing command's output: JSON, its table, or what to do while there is nothing yet. */
export function printList<T>(
  items: readonly T[],
  json: boolean,
  rows: (items: readonly T[]) => string[][],
  empty: string,
): void {
  if (json) printJson(items);
  else process.stdout.write(items.length ? table(rows(items)) : `${empty}\n`);
}

/**
 * The threaded wasm backend leaves a MessagePort open that keeps Node running after the
 * work is done; exit shortly after the command returns (with its exit code) if nothing
 * else has ended the process by then. The timer itself holds nothing open.
 */
export function exitEvenIfHeld(): void {
  setTimeout(() => process.exit(), 500).unref();
}
