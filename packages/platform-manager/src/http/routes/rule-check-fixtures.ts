// What the rule-check tests (rules-checked, moves-checked) build on: a firewall rule that needs an
// IP list, so that a rule API call, a settings change or a move can leave it naming a list that is
// not there.

export const adminsList = { id: 'admins', name: 'Administrators', addresses: ['10.0.0.0/24'] };

/** A body for PUT …/settings/firewall.lists holding these IP lists. */
export const lists = (...ipLists: unknown[]) => ({ value: { ipLists, macLists: [], portLists: [] } });

export const sshRule = {
  id: 'fw-ssh',
  name: 'SSH from administrators',
  action: 'allow',
  priority: 2,
  direction: 'incoming',
  protocol: 'tcp',
  source: { ipLists: ['admins'] },
  destinationPorts: { ports: [22] },
};
