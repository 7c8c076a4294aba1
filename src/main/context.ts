import { join } from 'node:path';
import { EventBus } from './events';
import { DATABASE_FILE } from './paths';
import { openDatabase, type Db } from './store/database';

/** What every service and API handler needs: the store, its file folder, the event bus. */
export interface AppContext {
  dataDir: string;
  db: Db;
  events: EventBus;
  /** True in Electron, where native dialogs exist. */
  nativeDialogs: boolean;
}

/**
 * The data folder alone, store and files, for work that emits no events (experiments,
 * comparisons, predictions from the CLI as from the engine).
 */
export type DataContext = Pick<AppContext, 'db' | 'dataDir'>;

export function createContext(
  dataDir: string,
  options: { nativeDialogs?: boolean } = {},
): AppContext {
  return {
    dataDir,
    db: openDatabase(join(dataDir, DATABASE_FILE)),
    events: new EventBus(),
    nativeDialogs: options.nativeDialogs ?? false,
  };
}
