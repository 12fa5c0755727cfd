import fc from 'fast-check';
import { ackUrl, cachedLinkKey, LINK_PATHS, signParams, silenceUrl, verifyParams } from '../../domain/routing/links';

const KEY = 'k'.repeat(32);
const NOW = 1_800_000_000;

function query(url: string): { path: string; params: Record<string, string> } {
  const parsed = new URL(url);
  return { path: parsed.pathname, params: Object.fromEntries(parsed.searchParams) };
}

describe('signed alert links', () => {
  it('verifies an ack link it signed and returns its parameters without exp and sig', () => {
    const { path, params } = query(
      ackUrl('abc123', { baseUrl: 'https://x.lambda-url.eu-west-1.on.aws/', key: KEY, expiresAt: NOW + 60 }),
    );

    const result = verifyParams(path, params, KEY, NOW);

    expect(path).toBe(LINK_PATHS.ack);
    expect(result).toEqual({ ok: true, params: { fp: 'abc123' }, expiresAt: NOW + 60 });
  });

  it('carries the silence duration in a silence link', () => {
    const url = silenceUrl('abc', { baseUrl: 'https://h.example', key: KEY, expiresAt: NOW + 1, durationSeconds: 900 });
    const { path, params } = query(url);

    expect(verifyParams(path, params, KEY, NOW)).toMatchObject({ ok: true, params: { fp: 'abc', d: '900' } });
  });

  it('rejects a link once its expiry has passed', () => {
    const { path, params } = query(ackUrl('abc', { baseUrl: 'https://h.example', key: KEY, expiresAt: NOW }));

    expect(verifyParams(path, params, KEY, NOW)).toEqual({ ok: false, reason: 'expired' });
  });

  it('rejects a link whose expiry was moved later', () => {
    const { path, params } = query(ackUrl('abc', { baseUrl: 'https://h.example', key: KEY, expiresAt: NOW - 5 }));

    expect(verifyParams(path, { ...params, exp: String(NOW + 3600) }, KEY, NOW)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('rejects an ack signature presented on the silence path', () => {
    const { params } = query(ackUrl('abc', { baseUrl: 'https://h.example', key: KEY, expiresAt: NOW + 60 }));

    expect(verifyParams(LINK_PATHS.silence, params, KEY, NOW)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects a request without a signature', () => {
    expect(verifyParams('/ack', { fp: 'abc', exp: String(NOW + 60) }, KEY, NOW)).toEqual({
      ok: false,
      reason: 'missing-signature',
    });
  });

  it('refuses to sign with a key shorter than 16 bytes', () => {
    expect(() => signParams('/ack', { fp: 'a' }, 'short', NOW)).toThrow(/link key: 5 bytes is too short/);
  });

  it('verifies any signed parameters and rejects them under another key or with any value changed', () => {
    const name = fc.string({ minLength: 1, maxLength: 8 }).filter((n) => n !== 'sig' && n !== 'exp');
    fc.assert(
      fc.property(
        fc.dictionary(name, fc.string({ maxLength: 20 }), { minKeys: 1, maxKeys: 5 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.string({ minLength: 16, maxLength: 40 }),
        (params, ttl, otherKey) => {
          const signed = signParams('/ack', params, KEY, NOW + ttl);
          // Round-trip through a real query string, as a browser would send it.
          const back = Object.fromEntries(new URLSearchParams(new URLSearchParams(signed).toString()));
          expect(verifyParams('/ack', back, KEY, NOW)).toEqual({ ok: true, params, expiresAt: NOW + ttl });
          if (Buffer.byteLength(otherKey) >= 16 && otherKey !== KEY) {
            expect(verifyParams('/ack', back, otherKey, NOW)).toMatchObject({ ok: false });
          }
          const first = Object.keys(params)[0];
          expect(verifyParams('/ack', { ...back, [first]: `${back[first]}x` }, KEY, NOW)).toMatchObject({ ok: false });
        },
      ),
    );
  });

  it('loads the key once and tries again after a failed load', async () => {
    let calls = 0;
    const load = cachedLinkKey(async () => {
      calls += 1;
      if (calls === 1) throw new Error('throttled');
      return KEY;
    });

    await expect(load()).rejects.toThrow('throttled');
    await expect(load()).resolves.toBe(KEY);
    await expect(load()).resolves.toBe(KEY);
    expect(calls).toBe(2);
  });
});
