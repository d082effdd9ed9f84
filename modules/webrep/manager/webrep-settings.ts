import { type Static, Type } from '@sinclair/typebox';
import { WebrepListEntries } from '../engine/index.js';

const Ports = (value: number[]) =>
  Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { maxItems: 32, uniqueItems: true, default: value });

/**
 * The module's settings. Every property has a `default`; one is `enabled`. Keys are
 * `webrep.<property>`; policies and computers store only what they override.
 */
export const WebrepSettings = Type.Object(
  {
    enabled: Type.Boolean({ default: false, description: 'Turn web reputation on for computers under this policy' }),
    mode: Type.Union([Type.Literal('prevent'), Type.Literal('detect')], {
      default: 'prevent',
      description: 'prevent: block; detect: report what would have been blocked (Detect Only events)',
    }),
    securityLevel: Type.Union([Type.Literal('high'), Type.Literal('medium'), Type.Literal('low')], {
      default: 'medium',
      description: 'Risk from which reputation data blocks: high ≥ 30, medium ≥ 60, low ≥ 85 (0 safe … 100 dangerous)',
    }),
    blockUnrated: Type.Boolean({ default: false, description: 'Block pages that have not been rated' }),
    blockedCategories: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
      maxItems: 256,
      default: [],
      description: 'Categories of the reputation data to block whatever their risk (e.g. malware, phishing)',
    }),
    allow: {
      ...WebrepListEntries,
      default: [],
      description: 'Always allowed: hosts, *.domains, URL prefixes, addresses, networks',
    },
    block: { ...WebrepListEntries, default: [], description: 'Always blocked (after the allow list): same forms' },
    exceptions: {
      ...WebrepListEntries,
      default: [],
      description: 'Allowed on top of the allow list, usually set on one computer (its exceptions)',
    },
    httpPorts: { ...Ports([80]), description: 'Destination ports of outbound HTTP to inspect (host and URL)' },
    tlsPorts: { ...Ports([443]), description: 'Destination ports of outbound TLS to inspect (SNI)' },
    blockPage: Type.Boolean({ default: true, description: 'Answer blocked HTTP requests with a 403 block page' }),
  },
  { additionalProperties: false },
);
export type WebrepSettings = Static<typeof WebrepSettings>;
