// The renderer's Content-Security-Policy, one definition for the bridge (browser mode,
// and the desktop window, which loads the renderer from the bridge) and for Electron's
// dev server window. Inline styles stay allowed: Svelte's templates carry style
// attributes; scripts come only from the app's own origin.

export interface CspOptions {
  /** The bridge origin when the page itself is served from elsewhere (vite dev server). */
  bridgeOrigin?: string;
  /** Vite's dev client talks to its server over a websocket. */
  devServer?: boolean;
}

export function contentSecurityPolicy(options: CspOptions = {}): string {
  const bridge = options.bridgeOrigin ? ` ${options.bridgeOrigin}` : '';
  const ws = options.devServer ? ' ws:' : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${bridge}`,
    "font-src 'self' data:",
    `connect-src 'self'${bridge}${ws}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
