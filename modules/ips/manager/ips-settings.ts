import { type Static, Type } from '@sinclair/typebox';

/** Maximum bytes of a request or response body the traffic engine reassembles for the rules. */
export const MAX_INSPECTION_DEPTH_BYTES = 1_048_576;

const VariableValue = (description: string, value: string) =>
  Type.String({ minLength: 1, maxLength: 4096, default: value, description });

/**
 * The module's settings. Every property has a `default`; one is `enabled`. Keys are
 * `ips.<property>`; policies and computers store only what they override.
 *
 * The four address and port variables most rules name are settings of their own, so that
 * `bulwark settings set --policy P ips.homeNet '[10.1.0.0/16]'` reads like Suricata's
 * suricata.yaml; any other `$NAME` a rule set uses goes into `variables`.
 */
export const IpsSettings = Type.Object(
  {
    enabled: Type.Boolean({
      default: false,
      description: 'Turn intrusion prevention on for computers under this policy',
    }),
    mode: Type.Union([Type.Literal('prevent'), Type.Literal('detect')], {
      default: 'prevent',
      description:
        'prevent: a matching rule resets the connection. detect: it only raises an event "Detect Only: Reset". ' +
        'A rule override {"mode":…} changes one rule; platform.networkEngineMode tap makes every rule detect.',
    }),
    homeNet: VariableValue(
      '$HOME_NET: the addresses this computer and its network use',
      '[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]',
    ),
    externalNet: VariableValue(
      '$EXTERNAL_NET: where attacks come from. "any" (not Suricata\'s !$HOME_NET): a host agent also guards against its neighbours',
      'any',
    ),
    httpPorts: VariableValue('$HTTP_PORTS: the ports web servers listen on', '[80,8000,8008,8080,8888]'),
    sshPorts: VariableValue('$SSH_PORTS', '22'),
    variables: Type.Record(
      Type.String({ pattern: '^[A-Z][A-Z0-9_]{0,63}$' }),
      Type.String({ minLength: 1, maxLength: 4096 }),
      {
        default: {},
        maxProperties: 256,
        description:
          'Further $NAME variables of imported rule sets, e.g. {"SQL_SERVERS":"[10.0.0.5]"}; they replace the defaults of the same name',
      },
    ),
    inspectionDepthBytes: Type.Integer({
      minimum: 0,
      maximum: MAX_INSPECTION_DEPTH_BYTES,
      default: 16_384,
      description: 'How much of each HTTP request and response body the rules see (bytes); the rest passes unread',
    }),
  },
  { additionalProperties: false },
);
export type IpsSettings = Static<typeof IpsSettings>;
