// What the HTTPS server negotiates: TLS 1.2 or later, and in TLS 1.2 only forward-secret ECDHE
// key exchange with an AEAD cipher (AES-GCM, ChaCha20-Poly1305), for an ECDSA key (the generated
// certificate's) or an RSA one (an operator's). No CBC, no SHA-1 MAC, no static RSA key exchange.
// TLS 1.3's suites are all AEAD: its three usual ones stay.
import type { SecureVersion } from 'node:tls';

const TLS13_SUITES = ['TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_AES_128_GCM_SHA256'];

export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-CHACHA20-POLY1305',
];

export const TLS_POLICY: { readonly minVersion: SecureVersion; readonly ciphers: string; readonly honorCipherOrder: boolean } = {
  minVersion: 'TLSv1.2',
  ciphers: [...TLS13_SUITES, ...TLS12_CIPHERS].join(':'),
  honorCipherOrder: true,
};
