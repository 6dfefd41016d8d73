// What a failed dial's warning suggests when the scheme and the port disagree.
import { MpxError } from '@mpx/core';
import { WebSocketUpgradeError } from '@mpx/transport-ws';
import { describe, expect, it } from 'vitest';
import { schemeHint } from '../src/dial-hints.js';

const withCode = (code: string, syscall?: string): Error => Object.assign(new Error(code), { code, ...(syscall === undefined ? {} : { syscall }) });

describe('schemeHint', () => {
  it('tells a wss:// or tls:// dial to a plain port to use ws:// or tcp://', () => {
    expect(schemeHint(withCode('ERR_SSL_WRONG_VERSION_NUMBER'), 'wss')).toBe('; is the port TLS? It answered without TLS: use ws://');
    expect(schemeHint(withCode('EPROTO'), 'tls')).toBe('; is the port TLS? It answered without TLS: use tcp://');
    expect(schemeHint(withCode('ECONNRESET'), 'wss')).toMatch(/closed during the TLS handshake: if it is not, use ws:\/\/$/);
  });

  it('tells a ws:// dial to a TLS port to use wss://', () => {
    const nginx = new WebSocketUpgradeError(400, {
      statusMessage: 'Bad Request',
      body: '<title>400 The plain HTTP request was sent to HTTPS port</title>',
    });
    expect(schemeHint(nginx, 'ws')).toBe('; is the port TLS? It did not answer plain HTTP: use wss://');
    expect(schemeHint(withCode('HPE_INVALID_CONSTANT'), 'ws')).toBe('; is the port TLS? It did not answer plain HTTP: use wss://');
    expect(schemeHint(withCode('ECONNRESET'), 'ws')).toMatch(/closed without answering the upgrade: if it is, use wss:\/\/$/);
  });

  it('adds nothing to other errors', () => {
    expect(schemeHint(withCode('ECONNRESET', 'read'), 'ws')).toBe('');
    expect(schemeHint(withCode('ECONNREFUSED', 'connect'), 'wss')).toBe('');
    expect(schemeHint(new WebSocketUpgradeError(400, { body: 'bad request' }), 'ws')).toBe('');
    expect(schemeHint(new MpxError('MPX_ERR_AUTH_FAILED', 'bad key'), 'tls')).toBe('');
    expect(schemeHint(withCode('ERR_SSL_WRONG_VERSION_NUMBER'), 'tcp')).toBe('');
  });
});
