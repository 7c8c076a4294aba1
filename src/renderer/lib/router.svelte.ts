// A hash router: the location after '#' is the app's whole navigation state, so reloads,
// the back button and links like #/runs/3 work the same in Electron and in a browser.

export type Params = Record<string, string>;

/** What the app shell passes to every routed view. */
export interface ViewProps {
  params: Params;
  query: URLSearchParams;
}

export interface Location {
  /** Path without the query, always starting with '/'. */
  path: string;
  query: URLSearchParams;
}

function read(): Location {
  const raw = window.location.hash.replace(/^#/, '') || '/';
  const cut = raw.indexOf('?');
  const path = cut < 0 ? raw : raw.slice(0, cut);
  return {
    path: path.startsWith('/') ? path : `/${path}`,
    query: new URLSearchParams(cut < 0 ? '' : raw.slice(cut + 1)),
  };
}

class Router {
  location = $state<Location>(read());

  constructor() {
    window.addEventListener('hashchange', () => (this.location = read()));
  }

  /** Goes to a path like '/datasets/3'; `replace` keeps it out of the history. */
  navigate(path: string, options: { replace?: boolean } = {}): void {
    const hash = `#${path}`;
    if (hash === window.location.hash) return;
    if (options.replace) window.history.replaceState(null, '', hash);
    else window.history.pushState(null, '', hash);
    this.location = read();
  }
}

export const router = new Router();

/** The href for a path, for plain <a> links. */
export function href(path: string): string {
  return `#${path}`;
}

/**
 * Matches '/runs/:id' or '/annotate/:datasetId?/:imageId?' against a path; returns the
 * named segments (decoded) or null. Optional segments may only end a pattern.
 */
export function matchPath(pattern: string, path: string): Params | null {
  const want = pattern.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  if (got.length > want.length) return null;
  const params: Params = {};
  for (const [i, part] of want.entries()) {
    const value = got[i];
    if (!part.startsWith(':')) {
      if (value !== part) return null;
    } else if (value !== undefined) {
      const decoded = decode(value);
      if (decoded === null) return null;
      params[part.replace(/^:|\?$/g, '')] = decoded;
    } else if (!part.endsWith('?')) {
      return null;
    }
  }
  return params;
}

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null; // a malformed escape in a typed URL is simply no match
  }
}
