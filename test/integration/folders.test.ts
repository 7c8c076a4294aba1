// Browser mode's folder browser: the engine lists folders under the user's home and
// nothing outside it (issue 14, item 9).
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listFolder } from '../../src/main/api/folders';

describe('folder browser', () => {
  const outside = realpathSync(mkdtempSync(join(tmpdir(), 'jaccard-outside-')));
  const home = realpathSync(mkdtempSync(join(tmpdir(), 'jaccard-home-')));
  for (const dir of ['photos/set 10', 'photos/set 9', '.cache', 'models']) {
    mkdirSync(join(home, dir), { recursive: true });
  }
  writeFileSync(join(home, 'photos', 'a.jpg'), '');
  writeFileSync(join(home, 'photos', 'b.PNG'), '');
  writeFileSync(join(home, 'photos', 'notes.txt'), '');
  symlinkSync(outside, join(home, 'escape'));
  symlinkSync(join(home, 'models'), join(home, 'shortcut'));

  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('lists folders under home in natural order, hidden ones and escaping links left out', async () => {
    expect(await listFolder(undefined, home)).toEqual({
      path: home,
      parent: null,
      folders: ['models', 'photos', 'shortcut'],
      images: 0,
    });
    expect(await listFolder(join(home, 'photos'), home)).toEqual({
      path: join(home, 'photos'),
      parent: home,
      folders: ['set 9', 'set 10'],
      images: 2,
    });
  });

  it('refuses anything outside home, also through a link', async () => {
    await expect(listFolder(outside, home)).rejects.toMatchObject({ code: 'invalid' });
    await expect(listFolder(join(home, 'escape'), home)).rejects.toMatchObject({
      code: 'invalid',
    });
    await expect(listFolder(join(home, '..'), home)).rejects.toMatchObject({ code: 'invalid' });
    await expect(listFolder(join(home, 'nothing'), home)).rejects.toMatchObject({
      code: 'not-found',
    });
  });
});
