import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MIGRATIONS } from './migrations';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the store and brings its schema up to date. WAL lets the
 * trainer process write runs while the app reads; busy_timeout absorbs short lock waits
 * between them instead of failing.
 */
export function openDatabase(file: string): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  migrate(db);
  return db;
}

/**
 * Runs `fn` in a transaction that takes the write lock up front (BEGIN IMMEDIATE).
 * better-sqlite3's default is deferred: a transaction that reads and then writes while
 * another process (a trainer, the CLI) commits fails at once with SQLITE_BUSY,
 * whatever busy_timeout says, because the snapshot it read is stale. Taking the lock
 * first makes it wait like any single statement does. Every transaction here writes.
 */
export function writeTransaction<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}

function migrate(db: Db): void {
  if (schemaVersion(db) === MIGRATIONS.length) return;
  // One step per transaction, re-reading the version under the write lock: two processes
  // opening an old store at once apply each step exactly once.
  for (;;) {
    const done = writeTransaction(db, () => {
      const current = schemaVersion(db);
      if (current === MIGRATIONS.length) return true;
      db.exec(MIGRATIONS[current]!);
      db.pragma(`user_version = ${current + 1}`);
      return false;
    });
    if (done) return;
  }
}

function schemaVersion(db: Db): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `This store was written by a newer Jaccard (schema ${current}, this one knows ${MIGRATIONS.length}).`,
    );
  }
  return current;
}
