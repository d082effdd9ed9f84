/** The shapes of the API's answers the console reads (docs/api.md; the OpenAPI document at /api/docs/json). */

export interface ModuleInfo {
  id: string;
  name: string;
  description: string;
  settings: { properties?: Record<string, JsonSchema> };
  defaults: Record<string, unknown>;
  administratorSettings: string[];
  commands: { name: string; description: string; argumentsRequired: boolean }[];
  hasRules: boolean;
  eventTypes: string[];
}

export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  const?: unknown;
  description?: string;
  title?: string;
  minimum?: number;
  maximum?: number;
}

export type ComputerStatus = 'managed' | 'updates-pending' | 'offline' | 'error' | 'deactivated';

export interface ModuleStatus {
  id: string;
  state: 'on' | 'off' | 'error' | 'unavailable';
  reason?: string;
  counters?: Record<string, number>;
}

export interface Computer {
  id: string;
  hostname: string;
  name: string;
  description: string;
  policyId: string | null;
  status: ComputerStatus;
  statusReason: string | null;
  lastHeartbeatAt: string | null;
  appliedConfigurationVersion: string | null;
  configurationVersion: string | null;
  modules: ModuleStatus[];
  agentVersion: string | null;
  platform: string | null;
  activatedAt: string;
  deactivatedAt: string | null;
}

export interface Policy {
  id: string;
  name: string;
  parentId: string | null;
  description: string;
  createdAt: string;
}

export interface PolicyNode extends Policy {
  children: PolicyNode[];
}

export interface Setting {
  key: string;
  value: unknown;
  overridden: boolean;
  source: { kind: 'default' | 'policy' | 'computer'; id?: string; name?: string };
}

export interface Level {
  kind: 'policy' | 'computer';
  id: string;
  name: string;
}

export interface CatalogueRule {
  module: string;
  id: string;
  builtIn: boolean;
  definition: Record<string, unknown>;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface RuleDetail extends CatalogueRule {
  assignedTo: Level[];
  excludedFromRecommendations: boolean;
  innerRule?: { id: string; description: string; assignableRuleId: string | null; details?: Record<string, unknown> };
}

export interface EffectiveRule extends CatalogueRule {
  overrides: Record<string, unknown>;
  assignedAt: Level[];
}

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export interface BulwarkEvent {
  id: string;
  computerId: string;
  seq: number;
  time: string;
  agentTime: string;
  receivedAt: string;
  module: string;
  type: string;
  severity: Severity;
  ruleId: string | null;
  action: string | null;
  summary: string;
  details: unknown;
  computerName?: string | null;
  assignableRuleId?: string | null;
  truncated?: boolean;
}

export interface Alert {
  id: string;
  type: string;
  computerId: string | null;
  state: 'open' | 'acknowledged' | 'cleared';
  message: string;
  raisedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  clearedAt: string | null;
  clearedBy: string | null;
}

export interface ComputerCommand {
  id: string;
  module: string;
  command: string;
  status: 'queued' | 'sent' | 'succeeded' | 'failed';
  message: string | null;
  result: unknown;
  createdBy: string;
  createdAt: string;
  finishedAt: string | null;
}

export interface DashboardSummary {
  from: string;
  to: string;
  bucketMinutes: number;
  computersByStatus: Record<ComputerStatus, number>;
  eventsOverTime: { bucket: string; module: string; count: number }[];
  topRules: { module: string; ruleId: string; count: number }[];
  openAlerts: number;
}
