import { z } from 'zod';
import { call } from './contract';

export interface FolderListing {
  /** The absolute folder listed. */
  path: string;
  /** Its parent, or null at the top (the user's home). */
  parent: string | null;
  /** Sub-folders by name, in natural order; hidden ones (".name") left out. */
  folders: string[];
  /** How many image files it holds directly, for telling the right folder at a glance. */
  images: number;
}

export const folderCalls = {
  /**
   * The folders inside a folder under the user's home, for picking a folder in browser
   * mode where there is no native dialog. Listing only; nothing outside home.
   */
  'system.listFolder': call<FolderListing>()(z.object({ path: z.string().optional() })),
};
