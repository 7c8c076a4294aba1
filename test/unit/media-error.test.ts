// A media request the engine refuses reads as the engine's reason, as an API call's does,
// not as the JSON it travelled in.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../src/shared/errors';
import { encodeWire } from '../../src/shared/wire';
import { loadBitmap } from '../../src/renderer/lib/annotate/png';

afterEach(() => vi.unstubAllGlobals());

function refuse(body: string, status: number): void {
  vi.stubGlobal('fetch', () => Promise.resolve(new Response(body, { status })));
}

describe('loadBitmap', () => {
  it("gives the engine's error as an ApiError with its code and message", async () => {
    const message = 'The stored file runs/7/predictions/3.png is missing.';
    refuse(encodeWire({ error: { code: 'not-found', message } }), 404);
    const error: unknown = await loadBitmap('/media/x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'not-found', message });
  });

  it('says what came back when the body is not the engine’s', async () => {
    refuse('Bad gateway', 502);
    await expect(loadBitmap('/media/x')).rejects.toThrow(
      'The image could not be loaded (502 Bad gateway).',
    );
  });

  it('says the engine is out of reach when the request fails', async () => {
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('Failed to fetch')));
    await expect(loadBitmap('/media/x')).rejects.toThrow('Cannot reach the Jaccard engine');
  });
});
