// Saves text the engine produced (a report, a CSV) as a file through the browser's own
// download, which works the same in Electron and in browser mode.
export function downloadText(filename: string, content: string, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser reads the blob after click() returns; revoking at once can cut it off.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
