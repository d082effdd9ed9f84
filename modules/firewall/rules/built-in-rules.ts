import type { FirewallRule } from '../engine/index.js';

/**
 * Rules shipped with the firewall, written for this product. Administrators assign the ones they
 * want; `recommend` proposes some of them from a host's inventory. The SSH rule allows sources in
 * the IP list `ssh-administrators`, which the administrator fills in; `allow-ssh` allows SSH from
 * anywhere and is the one recommendations propose, because they cannot know whether that list exists.
 */
export const BUILT_IN_RULES: readonly FirewallRule[] = [
  {
    id: 'allow-established',
    name: 'Allow established connections',
    description: 'Lets packets of connections already accepted, and related ICMP errors, through in both directions.',
    action: 'allow',
    priority: 4,
    direction: 'incoming',
    connectionStates: ['established', 'related'],
  },
  {
    id: 'allow-established-outgoing',
    name: 'Allow established connections (outgoing)',
    description: 'The outgoing half of allow-established.',
    action: 'allow',
    priority: 4,
    direction: 'outgoing',
    connectionStates: ['established', 'related'],
  },
  {
    id: 'allow-loopback',
    name: 'Allow loopback',
    description: 'Local processes talking to each other over the loopback interface are never filtered.',
    action: 'force-allow',
    priority: 4,
    direction: 'incoming',
    interface: { type: 'loopback' },
  },
  {
    id: 'allow-ssh-from-administrators',
    name: 'Allow SSH from administrators',
    description: 'Allows TCP port 22 from the addresses in the IP list "ssh-administrators".',
    action: 'allow',
    priority: 2,
    direction: 'incoming',
    protocol: 'tcp',
    source: { ipLists: ['ssh-administrators'] },
    destinationPorts: { ports: [22] },
  },
  {
    id: 'allow-ssh',
    name: 'Allow SSH (from anywhere)',
    description:
      'Allows TCP port 22 from any source, so that turning on implicit deny never locks administrators out. ' +
      'Narrow it: fill in the IP list "ssh-administrators", assign allow-ssh-from-administrators and ' +
      'unassign this rule (and exclude it from recommendations).',
    action: 'allow',
    priority: 2,
    direction: 'incoming',
    protocol: 'tcp',
    destinationPorts: { ports: [22] },
  },
  {
    id: 'allow-icmp-basics',
    name: 'Allow ICMP essentials',
    description: 'Echo request and the ICMP errors that path MTU discovery and troubleshooting need.',
    action: 'allow',
    priority: 1,
    direction: 'incoming',
    protocol: 'icmp',
    icmpTypes: ['echo-request', 'destination-unreachable', 'time-exceeded', 'parameter-problem'],
  },
  {
    id: 'allow-icmpv6-basics',
    name: 'Allow ICMPv6 essentials',
    description: 'Neighbour discovery, packet-too-big and echo: IPv6 does not work without them.',
    action: 'allow',
    priority: 1,
    direction: 'incoming',
    protocol: 'icmpv6',
    icmpTypes: [
      'echo-request',
      'destination-unreachable',
      'packet-too-big',
      'time-exceeded',
      'parameter-problem',
      'nd-neighbor-solicit',
      'nd-neighbor-advert',
      'nd-router-advert',
    ],
  },
  {
    id: 'deny-fragments',
    name: 'Deny IP fragments',
    description: 'Drops incoming fragmented IP packets, a classic way to slip past filters; few services need them.',
    action: 'deny',
    priority: 4,
    direction: 'incoming',
    fragments: true,
  },
  {
    id: 'deny-syn-fin',
    name: 'Deny TCP SYN-FIN',
    description: 'No legitimate stack sets SYN and FIN together.',
    action: 'deny',
    priority: 4,
    direction: 'incoming',
    protocol: 'tcp',
    tcpFlags: { set: ['syn', 'fin'], unset: [] },
  },
  ...(
    [
      ['http', 'HTTP and HTTPS server', [80, 443]],
      ['dns', 'DNS server', [53]],
      ['smtp', 'Mail server (SMTP)', [25, 465, 587]],
      ['imap', 'Mail server (IMAP and POP3)', [110, 143, 993, 995]],
      ['mysql', 'MySQL or MariaDB server', [3306]],
      ['postgresql', 'PostgreSQL server', [5432]],
      ['redis', 'Redis server', [6379]],
    ] as const
  ).map(
    ([id, title, ports]): FirewallRule => ({
      id: `allow-${id}-server`,
      name: `Allow ${title}`,
      description: `Allows incoming TCP to ${ports.join(', ')} for a host that runs a ${title.toLowerCase()}.`,
      action: 'allow',
      priority: 0,
      direction: 'incoming',
      protocol: 'tcp',
      destinationPorts: { ports: [...ports] },
    }),
  ),
];
