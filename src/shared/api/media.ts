// Pixels do not travel through calls: the UI asks for a URL and the transport
// (Electron protocol or loopback bridge) serves the file from the data folder.

export type MediaPath =
  | { kind: 'image'; imageId: number }
  | { kind: 'thumb'; imageId: number }
  | { kind: 'mask'; maskId: number }
  | { kind: 'prediction'; runId: number; imageId: number };

export function mediaPathToString(path: MediaPath): string {
  switch (path.kind) {
    case 'image':
    case 'thumb':
      return `${path.kind}/${path.imageId}`;
    case 'mask':
      return `mask/${path.maskId}`;
    case 'prediction':
      return `prediction/${path.runId}/${path.imageId}`;
  }
}

export function parseMediaPath(text: string): MediaPath | null {
  const parts = text.replace(/^\/+/, '').split('/');
  const nums = parts.slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  if (nums.some((n) => Number.isNaN(n))) return null;
  const [kind] = parts;
  if ((kind === 'image' || kind === 'thumb') && nums.length === 1)
    return { kind, imageId: nums[0]! };
  if (kind === 'mask' && nums.length === 1) return { kind, maskId: nums[0]! };
  if (kind === 'prediction' && nums.length === 2)
    return { kind, runId: nums[0]!, imageId: nums[1]! };
  return null;
}
