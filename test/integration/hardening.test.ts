// Issue 12: special files, silent mask loss, huge inputs, exports, orphan files, bodies,
// concurrent imports, terminal escapes and folder modes.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { startBridge } from '../../src/main/bridge';
import { openContext } from '../../src/main/cli/command';
import { printable, table } from '../../src/main/cli/helpers';
import { createContext, type AppContext } from '../../src/main/context';
import { exportToFolder } from '../../src/main/files';
import { collectGarbage } from '../../src/main/gc';
import { importFolder, MemoryGate } from '../../src/main/images/importer';
import { decodeMask } from '../../src/main/images/mask';
import { listStoredImages } from '../../src/main/store/images';
import { FACE } from '../paths';

const faceImage = (stem: string) => readFileSync(join(FACE, 'train/images', `${stem}.png`));
const faceMask = (stem: string) => readFileSync(join(FACE, 'train/masks', `${stem}.png`));

const contexts: AppContext[] = [];
function newContext(): AppContext {
  const ctx = createContext(mkdtempSync(join(tmpdir(), 'jaccard-hard-')));
  contexts.push(ctx);
  return ctx;
}
afterEach(() => {
  for (const ctx of contexts.splice(0)) if (ctx.db.open) ctx.db.close();
});
const tmpFolder = () => mkdtempSync(join(tmpdir(), 'jaccard-hard-src-'));

/** images/ and masks/ with the given files (name -> bytes) in each. */
function layout(images: Record<string, Uint8Array>, masks: Record<string, Uint8Array> = {}) {
  const src = tmpFolder();
  mkdirSync(join(src, 'images'));
  mkdirSync(join(src, 'masks'));
  for (const [name, bytes] of Object.entries(images))
    writeFileSync(join(src, 'images', name), bytes);
  for (const [name, bytes] of Object.entries(masks)) writeFileSync(join(src, 'masks', name), bytes);
  return src;
}

/** An uncompressed one-strip TIFF of 32-bit float samples, which sharp cannot write. */
function floatTiff(values: Float32Array, width: number, height: number): Buffer {
  const entries: [number, number, number][] = [
    [256, 3, width],
    [257, 3, height],
    [258, 3, 32],
    [259, 3, 1],
    [262, 3, 1],
    [273, 4, 0],
    [277, 3, 1],
    [278, 3, height],
    [279, 4, values.byteLength],
    [284, 3, 1],
    [339, 3, 3],
  ];
  const dataOffset = 8 + 2 + entries.length * 12 + 4;
  entries[5]![2] = dataOffset;
  const out = Buffer.alloc(dataOffset + values.byteLength);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(8, 4);
  out.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    out.writeUInt16LE(tag, at);
    out.writeUInt16LE(type, at + 2);
    out.writeUInt32LE(1, at + 4);
    if (type === 3) out.writeUInt16LE(value, at + 8);
    else out.writeUInt32LE(value, at + 8);
  });
  Buffer.from(values.buffer, values.byteOffset, values.byteLength).copy(out, dataOffset);
  return out;
}

describe('special files (1)', () => {
  it(
    'reports a FIFO and a link to /dev/zero by name, never reads them',
    { timeout: 15_000 },
    async () => {
      const src = layout({ 'good.png': faceImage('1') });
      spawnSync('mkfifo', [join(src, 'images', 'pipe.png')]);
      symlinkSync('/dev/zero', join(src, 'images', 'zero.png'));
      mkdirSync(join(src, 'images', 'dir.png'));
      const report = await importFolder(newContext(), { folder: src, name: 'special' });
      const reasons = Object.fromEntries(report.problems.map((p) => [p.file, p.reason]));
      expect(report.images).toBe(1);
      expect(reasons).toEqual({
        'images/pipe.png': 'image skipped: it is a named pipe (FIFO), not a regular file',
        'images/zero.png': 'image skipped: it is a character device, not a regular file',
        'images/dir.png/': 'skipped: it is a folder, not an image file',
      });
    },
  );
});

describe('values wider than 8 bits, alpha-only and empty masks (2)', () => {
  it('reads a 16-bit 0/1 mask, a float image and an alpha mask, and reports each', async () => {
    const { width, height } = await sharp(faceImage('1')).metadata();
    const truth = await decodeMask(faceMask('1'));
    const ones = Uint16Array.from(truth.data, (v) => (v ? 1 : 0));
    const mask16 = await sharp(ones, { raw: { width: width!, height: height!, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    const grey = await sharp(faceImage('1')).greyscale().raw().toBuffer();
    const floats = Float32Array.from(grey, (v) => v / 255);
    const alpha = new Uint8Array(width! * height! * 4);
    for (let p = 0; p < truth.data.length; p++) alpha[p * 4 + 3] = truth.data[p]!;
    const alphaPng = await sharp(alpha, { raw: { width: width!, height: height!, channels: 4 } })
      .png()
      .toBuffer();
    const src = layout(
      {
        'a.png': faceImage('1'),
        'b.tif': floatTiff(floats, width!, height!),
        'c.png': await sharp(faceImage('1')).negate().png().toBuffer(),
        'd.png': await sharp(faceImage('1')).flop().png().toBuffer(),
      },
      {
        'a.png': mask16,
        'b.png': faceMask('1'),
        'c.png': alphaPng,
        'd.png': await sharp(faceMask('1')).linear(0, 0).png().toBuffer(),
      },
    );
    const ctx = newContext();
    const report = await importFolder(ctx, { folder: src, name: 'wide' });
    const reasons = Object.fromEntries(report.problems.map((p) => [p.file, p.reason]));
    expect(reasons).toEqual({
      'images/b.tif': expect.stringMatching(
        /^imported as 8-bit: its 32-bit float values 0\.\d+\.\.0\.\d+ were scaled from 0\.\.1 to 0\.\.255$/,
      ),
      'masks/c.png': expect.stringMatching(/^mask read by its alpha channel/),
      'masks/d.png': 'imported, but the mask is empty: no foreground pixels',
    });
    const stored = listStoredImages(ctx.db, report.dataset.id);
    const byStem = Object.fromEntries(stored.map((i) => [i.stem, i]));
    for (const stem of ['a', 'c']) {
      const mask = await decodeMask(readFileSync(join(ctx.dataDir, byStem[stem]!.maskFile!)));
      expect(Buffer.compare(mask.data, truth.data), stem).toBe(0);
    }
    const image = await sharp(join(ctx.dataDir, byStem.b!.file)).extractChannel(0).raw().toBuffer();
    let off = 0;
    for (let i = 0; i < grey.length; i++) off = Math.max(off, Math.abs(image[i]! - grey[i]!));
    expect(off).toBeLessThanOrEqual(1);
  });
});

describe('decoding bounded by memory (3)', () => {
  it('admits work while it fits, and one oversized job alone', async () => {
    const gate = new MemoryGate(100);
    let inFlight = 0;
    let most = 0;
    const job = (bytes: number) =>
      gate.run(bytes, async () => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 10));
        inFlight--;
      });
    await Promise.all([job(60), job(60), job(60)]);
    expect([most, gate.peak]).toEqual([1, 60]);
    most = 0;
    await Promise.all([job(30), job(30), job(30), job(500)]);
    expect(most).toBe(3);
    expect(gate.peak).toBe(500);
  });

  it('imports large images one at a time under a small budget', async () => {
    const big = await sharp({
      create: { width: 3000, height: 3000, channels: 3, background: '#808080' },
    })
      .png()
      .toBuffer();
    const src = layout({ 'a.png': big, 'b.png': Buffer.concat([big]) });
    writeFileSync(join(src, 'images', 'b.png'), await sharp(big).negate().png().toBuffer());
    const report = await importFolder(newContext(), {
      folder: src,
      name: 'big',
      memoryBudget: 1024,
    });
    expect(report.images).toBe(2);
  });
});

describe('exports (4)', () => {
  it('refuses to replace files, never writes through a link, and overwrites on request', async () => {
    const out = tmpFolder();
    const elsewhere = join(tmpFolder(), 'precious.bin');
    writeFileSync(elsewhere, 'precious');
    symlinkSync(elsewhere, join(out, 'weights.bin'));
    writeFileSync(join(out, 'model.json'), 'mine');
    const files = [
      { name: 'model.json', bytes: Buffer.from('{}') },
      { name: 'weights.bin', bytes: Buffer.from('weights') },
    ];
    await expect(exportToFolder(out, files)).rejects.toMatchObject({ code: 'conflict' });
    expect(readFileSync(join(out, 'model.json'), 'utf8')).toBe('mine');
    await exportToFolder(out, files, { overwrite: true });
    expect(readFileSync(elsewhere, 'utf8')).toBe('precious');
    expect(readFileSync(join(out, 'weights.bin'), 'utf8')).toBe('weights');
    expect(readFileSync(join(out, 'model.json'), 'utf8')).toBe('{}');
    // A link where a subfolder goes is refused even with overwrite.
    symlinkSync(dirname(elsewhere), join(out, 'train'));
    await expect(
      exportToFolder(out, [{ name: 'train/1.png', bytes: Buffer.from('x') }], { overwrite: true }),
    ).rejects.toMatchObject({ code: 'conflict' });
    expect(readdirSync(dirname(elsewhere))).toEqual(['precious.bin']);
  });
});

describe('garbage collection (5)', () => {
  it('removes files no row refers to, keeps referenced and recent ones', async () => {
    const ctx = newContext();
    const src = layout({ 'a.png': faceImage('1') }, { 'a.png': faceMask('1') });
    await importFolder(ctx, { folder: src, name: 'kept' });
    const orphan = join(ctx.dataDir, 'files/images/ab/abcdef.png');
    const fresh = join(ctx.dataDir, 'files/masks/cd/cdef.png');
    const run = join(ctx.dataDir, 'files/runs/99/model/weights.bin');
    for (const file of [orphan, fresh, run]) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, 'x'.repeat(100));
    }
    const old = new Date(Date.now() - 3600_000);
    utimesSync(orphan, old, old);
    utimesSync(run, old, old);
    utimesSync(dirname(run), old, old);
    utimesSync(dirname(dirname(run)), old, old);
    const report = await collectGarbage(ctx);
    expect(report).toMatchObject({ files: 2, bytes: 200, recent: 1 });
    expect([existsSync(orphan), existsSync(fresh), existsSync(dirname(run))]).toEqual([
      false,
      true,
      false,
    ]);
    const images = listStoredImages(ctx.db, 1);
    expect(existsSync(join(ctx.dataDir, images[0]!.file))).toBe(true);
    expect(existsSync(join(ctx.dataDir, images[0]!.maskFile!))).toBe(true);
  });
});

describe('request bodies (6)', () => {
  it('answers 413 with the limit for a body over it', { timeout: 30_000 }, async () => {
    const bridge = await startBridge({ ctx: newContext(), rendererDir: null });
    try {
      const body = Buffer.alloc(65 * 1024 * 1024, 0x20);
      const response = await fetch(`${bridge.origin}/api/datasets.list`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bridge.token}` },
        body,
      });
      expect(response.status).toBe(413);
      expect(await response.text()).toMatch(/64 MiB limit/);
    } finally {
      await bridge.close();
    }
  });
});

describe('two imports into one dataset at once (7)', () => {
  /**
   * Another writer (a second process, here a thread with its own connection) holds the
   * write lock with the same images inserted but not yet committed while this import
   * runs: what the import read before taking the lock no longer holds when it writes.
   */
  function holdWriteLock(dbFile: string, from: number, into: number, ms: number) {
    const worker = new Worker(
      `const { parentPort, workerData: w } = require('node:worker_threads');
      const db = require('better-sqlite3')(w.dbFile);
      const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('images')
        .filter((c) => !['id', 'dataset_id', 'created_at'].includes(c)).join(', ');
      db.exec('BEGIN IMMEDIATE');
      db.prepare('INSERT INTO images (dataset_id, ' + columns + ') SELECT ?, ' + columns +
        ' FROM images WHERE dataset_id = ?').run(w.into, w.from);
      parentPort.postMessage('locked');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, w.ms);
      db.exec('COMMIT');
      db.close();`,
      { eval: true, workerData: { dbFile, from, into, ms } },
    );
    const exited = new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', resolve);
    });
    return {
      locked: new Promise((resolve) => worker.once('message', resolve)),
      exited,
    };
  }

  it(
    'counts rows another writer committed meanwhile as duplicates',
    { timeout: 30_000 },
    async () => {
      const ctx = newContext();
      const src = layout({ '1.png': faceImage('1'), '2.png': faceImage('2') });
      const template = await importFolder(ctx, { folder: src, name: 'template' });
      const target = await importFolder(ctx, {
        folder: layout({ '3.png': faceImage('3') }),
        name: 'target',
      });
      const other = holdWriteLock(ctx.db.name, template.dataset.id, target.dataset.id, 3000);
      await other.locked;
      const report = await importFolder(ctx, { folder: src, datasetId: target.dataset.id });
      await other.exited;
      expect(report.images).toBe(0);
      expect(report.problems.map((p) => p.reason)).toEqual([
        expect.stringMatching(
          /^image skipped: the unassigned split already has an image named "1"/,
        ),
        expect.stringMatching(
          /^image skipped: the unassigned split already has an image named "2"/,
        ),
      ]);
      expect(listStoredImages(ctx.db, target.dataset.id)).toHaveLength(3);
    },
  );
});

describe('terminal escapes (8)', () => {
  it('prints control characters in names as escapes', () => {
    expect(printable('evil\x1b[31m.png\x07')).toBe('evil\\u001b[31m.png\\u0007');
    expect(table([['NAME'], ['a\x1b]0;x\x07']])).toBe('NAME\na\\u001b]0;x\\u0007\n');
  });
});

describe('data folder mode (9)', () => {
  it('creates the data folder readable by its owner only', () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'jaccard-mode-')), 'home');
    const ctx = openContext(dataDir);
    contexts.push(ctx);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
  });
});
