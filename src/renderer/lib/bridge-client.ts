// JaccardApi over the loopback bridge, for the browser mode and the Chromium tests:
// calls are POSTs, events one EventSource, media plain URLs. Relative addresses, so the
// same client works on the bridge's own origin and behind the vite dev server's proxy.
import type { EventName, JaccardApi } from '#shared/api';
import { eventListeners } from '#shared/api/listeners';
import { mediaPathToString } from '#shared/api/media';
import { ApiError, type WireError } from '#shared/errors';
import { decodeWire, encodeWire } from '#shared/wire';

const TOKEN_KEY = 'jaccard.token';

/**
 * The bridge token: taken from `?token=` once, then kept for this tab only and removed
 * from the address bar, so it stays out of history, bookmarks and screenshots.
 */
export function takeToken(): string | null {
  const url = new URL(window.location.href);
  const offered = url.searchParams.get('token');
  if (offered) {
    sessionStorage.setItem(TOKEN_KEY, offered);
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export function createBridgeClient(token: string | null): JaccardApi {
  const listeners = eventListeners((_event, error) => reportError(error));
  // Calls wait until the event stream is open, so a call made right after `on` cannot
  // emit an event before the stream listens (open and error both end the wait).
  let streamReady: Promise<void> = Promise.resolve();
  let stream: EventSource | null = null;

  function openStream(): void {
    stream = new EventSource(`/events?token=${encodeURIComponent(token ?? '')}`);
    const source = stream;
    streamReady = new Promise((ready) => {
      source.addEventListener('open', () => ready(), { once: true });
      source.addEventListener('error', () => ready(), { once: true });
    });
    source.addEventListener('message', (message: MessageEvent<string>) => {
      const { event, payload } = decodeWire(message.data) as { event: EventName; payload: unknown };
      listeners.emit(event, payload);
    });
  }

  return {
    async call(method, input) {
      if (!token) {
        throw new ApiError('invalid', 'No access token: open the address `jaccard serve` printed.');
      }
      await streamReady;
      let response: Response;
      try {
        response = await fetch(`/api/${method}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: encodeWire(input),
        });
      } catch {
        throw new ApiError(
          'io',
          'Cannot reach the Jaccard engine. Is `jaccard serve` still running?',
        );
      }
      const reply = parseReply(await response.text());
      if (!reply) {
        throw new ApiError(
          'internal',
          `The engine answered ${response.status} ${response.statusText}.`,
        );
      }
      if ('error' in reply) throw new ApiError(reply.error.code, reply.error.message);
      return reply.result as never;
    },

    on(event, listener) {
      const off = listeners.add(event, listener);
      if (!stream) openStream();
      return off;
    },

    mediaUrl(path) {
      return `/media/${mediaPathToString(path)}?token=${encodeURIComponent(token ?? '')}`;
    },
  };
}

function parseReply(text: string): { result: unknown } | { error: WireError } | null {
  try {
    const reply = decodeWire(text);
    return reply && typeof reply === 'object' ? (reply as { result: unknown }) : null;
  } catch {
    return null;
  }
}
