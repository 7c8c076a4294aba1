// Plain text for the terminal: tables for the CLI's listings, and names made safe to print.

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
