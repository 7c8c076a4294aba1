// Finds the images (and masks) in a folder laid out the ways users keep them:
//   train/ and test/, each with images/ and masks/   -> splits train and test
//   images/ with masks/ beside it                     -> split unassigned
//   a plain folder of images                          -> split unassigned, no masks
// A split folder without images/ may hold its images directly. Masks pair with images
// by file stem. Only regular files are candidates (links count as what they point to):
// FIFOs, devices and sockets are reported, never opened, since reading one blocks forever
// or never ends (a link to /dev/zero). Folders that are not part of a layout are reported.
import { readdir, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import type { ImportProblem } from '#shared/domain';
import type { Split } from '#shared/ids';
import { fsReason } from '../files';
import { IMAGE_EXTENSIONS } from './decode';

export interface Candidate {
  split: Split;
  stem: string;
  /** Absolute paths. */
  image: string;
  mask: string | null;
  /** Relative to the imported folder, with forward slashes, for reports. */
  imageName: string;
  maskName: string | null;
}

export interface FolderPlan {
  candidates: Candidate[];
  problems: ImportProblem[];
}

const SPLIT_DIRS = ['train', 'test'] as const;
const IGNORED = new Set(['thumbs.db', 'desktop.ini']);

export async function scanFolder(folder: string): Promise<FolderPlan> {
  const plan: FolderPlan = { candidates: [], problems: [] };
  const name = (abs: string) => relative(folder, abs).split('\\').join('/');
  const root = await listDir(folder);
  const splitDirs = SPLIT_DIRS.filter((s) => root.dirs.has(s));

  if (splitDirs.length > 0) {
    for (const split of splitDirs) await scanSplit(join(folder, root.dirs.get(split)!), split);
    for (const [lower, dir] of root.dirs) {
      if (!(SPLIT_DIRS as readonly string[]).includes(lower)) {
        plan.problems.push({
          file: `${dir}/`,
          reason: 'folder skipped: only train/ and test/ are read as splits',
        });
      }
    }
    for (const file of root.files.filter(isImageName)) {
      plan.problems.push({ file, reason: 'image skipped: images belong in train/ or test/' });
    }
    reportSpecial(root, folder);
  } else {
    await scanSplit(folder, 'unassigned');
  }
  return plan;

  async function scanSplit(dir: string, split: Split): Promise<void> {
    const here = dir === folder ? root : await listDirOrReport(dir);
    const imagesDir = here.dirs.get('images');
    const masksDir = here.dirs.get('masks');
    for (const [lower, sub] of here.dirs) {
      if (lower !== 'images' && lower !== 'masks') {
        reportFolder(join(dir, sub), 'only images/ and masks/ are read here');
      }
    }
    if (imagesDir) reportSpecial(here, dir);
    const images = imagesDir
      ? await listImages(join(dir, imagesDir), 'image')
      : await listImages(dir, 'image', here);
    const masks = masksDir
      ? await listImages(join(dir, masksDir), 'mask')
      : new Map<string, string>();
    for (const [stem, image] of images) {
      const mask = masks.get(stem) ?? null;
      plan.candidates.push({
        split,
        stem,
        image,
        mask,
        imageName: name(image),
        maskName: mask && name(mask),
      });
    }
    for (const [stem, mask] of masks) {
      if (!images.has(stem)) {
        plan.problems.push({ file: name(mask), reason: `mask skipped: no image named "${stem}"` });
      }
    }
  }

  /**
   * stem -> absolute path; a second file with a stem already seen is reported. `listed`:
   * the split folder itself, whose folders and special files the caller reported.
   */
  async function listImages(
    dir: string,
    kind: 'image' | 'mask',
    listed?: DirListing,
  ): Promise<Map<string, string>> {
    const byStem = new Map<string, string>();
    const listing = listed ?? (await listDirOrReport(dir));
    if (!listed) {
      for (const sub of listing.dirs.values()) {
        reportFolder(join(dir, sub), `subfolders of ${name(dir)}/ are not read`);
      }
    }
    reportSpecial(listing, dir, kind);
    for (const file of listing.files) {
      const abs = join(dir, file);
      if (!isImageName(file)) {
        plan.problems.push({
          file: name(abs),
          reason: `${kind} skipped: not a PNG, JPEG, BMP, TIFF or WebP file name`,
        });
        continue;
      }
      const stem = file.slice(0, file.length - extname(file).length);
      const first = byStem.get(stem);
      if (first) {
        plan.problems.push({
          file: name(abs),
          reason: `${kind} skipped: ${name(first)} has the same name "${stem}"`,
        });
      } else {
        byStem.set(stem, abs);
      }
    }
    return byStem;
  }

  async function listDirOrReport(dir: string): Promise<DirListing> {
    try {
      return await listDir(dir);
    } catch (error) {
      plan.problems.push({ file: `${name(dir)}/`, reason: `folder skipped: ${fsReason(error)}` });
      return { files: [], dirs: new Map(), special: [] };
    }
  }

  function reportFolder(abs: string, why: string): void {
    // A folder named like an image (dir.png) is the likelier mistake: say it is a folder.
    const reason = isImageName(abs)
      ? 'skipped: it is a folder, not an image file'
      : `folder skipped: ${why}`;
    plan.problems.push({ file: `${name(abs)}/`, reason });
  }

  function reportSpecial(listing: DirListing, dir: string, kind = 'file'): void {
    for (const { file, what } of listing.special) {
      plan.problems.push({
        file: name(join(dir, file)),
        reason: `${kind} skipped: it is ${what}, not a regular file`,
      });
    }
  }
}

function isImageName(file: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(file).toLowerCase());
}

interface DirListing {
  /** Visible regular files (and dangling links, reported when read) in name order. */
  files: string[];
  /** Subfolders by lower-case name. */
  dirs: Map<string, string>;
  /** FIFOs, devices and sockets, with what they are in words. */
  special: { file: string; what: string }[];
}

/** Throws the file system's error when the folder cannot be read. */
async function listDir(dir: string): Promise<DirListing> {
  const listing: DirListing = { files: [], dirs: new Map(), special: [] };
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => !e.name.startsWith('.') && !IGNORED.has(e.name.toLowerCase()))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of names) {
    // Links count as what they point to; a dangling one as a file, reported when read.
    const target = entry.isSymbolicLink()
      ? await stat(join(dir, entry.name)).catch(() => null)
      : entry;
    if (target?.isDirectory()) listing.dirs.set(entry.name.toLowerCase(), entry.name);
    else if (!target || target.isFile()) listing.files.push(entry.name);
    else listing.special.push({ file: entry.name, what: specialKind(target) });
  }
  return listing;
}

/** What a file that is neither a regular file nor a folder is, in words. */
export function specialKind(entry: {
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (entry.isFIFO()) return 'a named pipe (FIFO)';
  if (entry.isCharacterDevice()) return 'a character device';
  if (entry.isBlockDevice()) return 'a block device';
  if (entry.isSocket()) return 'a socket';
  return 'a special file';
}
