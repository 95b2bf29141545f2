import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bearerSubprotocol, bearerSubprotocolPrefix, logSocketProtocols, logSubprotocol } from '../../../../shared/ipc/webSession.ts';

// RFC 6455 §4.1: each subprotocol a client offers is an RFC 2616 token; browsers throw SyntaxError otherwise.
const rfc2616Token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

describe('the live log token offer', () => {
  it('is the prefix and the token in unpadded base64url, as Node encodes it', () => {
    expect(bearerSubprotocol('??>')).toBe(`${bearerSubprotocolPrefix}Pz8-`);
    expect(bearerSubprotocol('???')).toBe(`${bearerSubprotocolPrefix}Pz8_`);
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (token) => {
        expect(bearerSubprotocol(token)).toBe(bearerSubprotocolPrefix + Buffer.from(token, 'utf8').toString('base64url'));
      }),
    );
  });

  it('offers the log subprotocol first, and every offer is a valid subprotocol name whatever the token holds', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }), (token) => {
        const offer = logSocketProtocols(token);
        expect(offer[0]).toBe(logSubprotocol);
        expect(offer.every((protocol) => rfc2616Token.test(protocol))).toBe(true);
      }),
    );
  });
});
