// The write-ahead log: after every finished edit the whole mask goes to IndexedDB as
// RLE (kilobytes even for 4000x3000), before the debounced save to the store. A crash,
// a closed window or a failed save therefore loses nothing: on the next load an entry
// newer than the store's revision is recovered.

import type { EditSource } from '#shared/ids';

export interface WalEntry {
  imageId: number;
  width: number;
  height: number;
  rle: Uint8Array;
  /** The store revision the edits started from (0: the image had no mask). */
  baseRevision: number;
  source: EditSource;
  /** When written (ms, strictly increasing per tab: it also identifies the write). */
  savedAt: number;
}

/** Where the log lives in the page's IndexedDB (the annotator's tests read it there too). */
export const WAL_DATABASE = 'jaccard-annotate';
export const WAL_STORE = 'wal';

let opening: Promise<IDBDatabase> | null = null;

function open(): Promise<IDBDatabase> {
  opening ??= new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(WAL_DATABASE, 1);
    request.onupgradeneeded = () =>
      request.result.createObjectStore(WAL_STORE, { keyPath: 'imageId' });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB is not available.'));
  }).catch((error: unknown) => {
    opening = null;
    throw error;
  });
  return opening;
}

async function run<T>(
  mode: IDBTransactionMode,
  action: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const db = await open();
  return new Promise<T>((resolve, reject) => {
    const tx = db.transaction(WAL_STORE, mode, { durability: 'strict' });
    const request = action(tx.objectStore(WAL_STORE));
    tx.oncomplete = () => resolve(request.result);
    tx.onerror = () => reject(tx.error ?? new Error('The write-ahead log failed.'));
    tx.onabort = () => reject(tx.error ?? new Error('The write-ahead log was aborted.'));
  });
}

export function writeWal(entry: WalEntry): Promise<void> {
  return run('readwrite', (store) => store.put(entry)).then(() => undefined);
}

export function readWal(imageId: number): Promise<WalEntry | undefined> {
  return run('readonly', (store) => store.get(imageId) as IDBRequest<WalEntry | undefined>);
}

/** Removes the entry only if it is still the one written at savedAt (no newer edit). */
export async function dropWal(imageId: number, savedAt: number): Promise<void> {
  const db = await open();
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction(WAL_STORE, 'readwrite');
    const store = tx.objectStore(WAL_STORE);
    const get = store.get(imageId) as IDBRequest<WalEntry | undefined>;
    get.onsuccess = () => {
      if (get.result?.savedAt === savedAt) store.delete(imageId);
    };
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('The write-ahead log failed.'));
  });
}
