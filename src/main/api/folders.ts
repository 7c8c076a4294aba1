// A folder browser served by the engine, for browser mode: lists folders under the
// user's home (after following links), nothing else, and never reads a file.
import { readdir, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import type { folderCalls } from '#shared/api/folders';
import { ApiError } from '#shared/errors';
import { IMAGE_EXTENSIONS } from '../images/decode';
import type { Handlers } from './index';

const naturalOrder = new Intl.Collator('en', { numeric: true }).compare;

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export async function listFolder(path: string | undefined, home = homedir()) {
  const root = await realpath(home);
  const asked = resolve(root, path ?? root);
  const real = await realpath(asked).catch(() => {
    throw new ApiError('not-found', `There is no folder ${asked}.`);
  });
  if (!inside(root, real)) {
    throw new ApiError('invalid', `Only folders under your home folder (${root}) are listed.`);
  }
  const entries = await readdir(real, { withFileTypes: true }).catch(() => {
    throw new ApiError('io', `Cannot read the folder ${real}.`);
  });
  const folders: string[] = [];
  let images = 0;
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    let isFolder = entry.isDirectory();
    if (entry.isSymbolicLink()) {
      // A link counts when it leads to a folder that is still under home.
      const target = await realpath(join(real, entry.name)).catch(() => null);
      isFolder = !!target && inside(root, target) && (await isDirectory(target));
    }
    if (isFolder) folders.push(entry.name);
    else if (entry.isFile() && IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase())) images++;
  }
  return {
    path: real,
    parent: real === root ? null : dirname(real),
    folders: folders.sort(naturalOrder),
    images,
  };
}

async function isDirectory(path: string): Promise<boolean> {
  return readdir(path).then(
    () => true,
    () => false,
  );
}

export const folderHandlers: Handlers<keyof typeof folderCalls> = {
  'system.listFolder': ({ path }) => listFolder(path),
};
