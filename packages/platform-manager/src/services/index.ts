import type { ManagerModule } from '@bulwark/protocol';
import type { Kysely } from 'kysely';
import { destinationsService } from '../forwarding/destinations.js';
import type { ManagerUpdateSigner } from '../pki/update-signer.js';
import type { Database } from '../storage/schema.js';
import { activationTokensService } from './activation-tokens.js';
import { alertsService } from './alerts.js';
import { apiKeysService } from './api-keys.js';
import { auditService } from './audit.js';
import { certificateRenewalService } from './certificate-renewal.js';
import { computerCommandsService } from './computer-commands.js';
import { computerSnapshotsService } from './computer-snapshots.js';
import { computersService } from './computers.js';
import { configurationService } from './configuration.js';
import type { ServiceContext } from './context.js';
import { dashboardService } from './dashboard.js';
import { eventsService } from './events.js';
import { inventoryService } from './inventory.js';
import { policiesService } from './policies.js';
import { recommendationsService } from './recommendations.js';
import { ruleSilencingService } from './rule-silencing.js';
import { rulesService } from './rules.js';
import { sessionsService } from './sessions.js';
import { buildSettingCatalog } from './setting-catalog.js';
import { settingsService } from './settings.js';
import { updatePackagesService } from './update-packages.js';
import { usersService } from './users.js';

export interface ServicesOptions {
  readonly db: Kysely<Database>;
  readonly modules?: readonly ManagerModule[];
  /** Epoch milliseconds; defaults to Date.now. */
  readonly now?: () => number;
  /** Default 12 hours. */
  readonly sessionTtlMs?: number;
  /** The CA's SHA-256 fingerprint, embedded in activation tokens so that agents pin the CA. */
  readonly caFingerprint?: string;
  /** Signs imported update packages; without it, imports and downloads are refused. */
  readonly updateSigner?: ManagerUpdateSigner;
}

/** The manager's domain, over one database. Cheap to create; holds no state besides the database. */
export function createServices(options: ServicesOptions) {
  const modules = options.modules ?? [];
  const ctx: ServiceContext = {
    db: options.db,
    modules,
    catalog: buildSettingCatalog(modules),
    now: options.now ?? Date.now,
    sessionTtlMs: options.sessionTtlMs ?? 12 * 60 * 60 * 1000,
    ...(options.caFingerprint === undefined ? {} : { caFingerprint: options.caFingerprint }),
  };
  const configuration = configurationService(ctx);
  const users = usersService(ctx);
  const inventory = inventoryService(ctx);
  const rules = rulesService(ctx, configuration);
  return {
    users,
    apiKeys: apiKeysService(ctx),
    sessions: sessionsService(ctx, users),
    modules: {
      list: () => ctx.catalog.modules,
      /** True when only an administrator may change the setting `key` (the module says so). */
      administratorOnly: (key: string) => ctx.catalog.get(key)?.administratorOnly === true,
    },
    policies: policiesService(ctx, configuration),
    settings: settingsService(ctx, configuration),
    configuration,
    activationTokens: activationTokensService(ctx),
    computers: computersService(ctx, configuration),
    certificateRenewal: certificateRenewalService(ctx),
    computerCommands: computerCommandsService(ctx),
    computerSnapshots: computerSnapshotsService(ctx),
    inventory,
    rules,
    ruleSilencing: ruleSilencingService(ctx, rules),
    recommendations: recommendationsService(ctx, configuration, inventory),
    events: eventsService(ctx),
    alerts: alertsService(ctx),
    audit: auditService(ctx),
    forwarding: destinationsService(ctx.db, ctx.now),
    dashboard: dashboardService(ctx),
    updatePackages: updatePackagesService(ctx, configuration, options.updateSigner),
  };
}

export type Services = ReturnType<typeof createServices>;

export type { ActivationToken, ActivationTokenState } from './activation-tokens.js';
export type { Alert, AlertState } from './alerts.js';
export { AlertTypes } from './alerts.js';
export type { ApiKey } from './api-keys.js';
export type { AuditEntry, AuditQuery } from './audit.js';
export type { CommandStatus, ComputerCommand, NewCommand } from './computer-commands.js';
export { COMMAND_STATUSES } from './computer-commands.js';
export type { SnapshotEntriesPage, SnapshotSummary } from './computer-snapshots.js';
export type { ComputerStatus } from './computer-status.js';
export { COMPUTER_STATUSES } from './computer-status.js';
export type { Computer, ComputerQuery } from './computers.js';
export type { Affected } from './configuration.js';
export type { EventFilter, StoredEvent } from './events.js';
export type { StoredInventory } from './inventory.js';
export type { Page, PageRequest } from './pagination.js';
export { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from './pagination.js';
export type { Policy, PolicyNode } from './policies.js';
export type { RecommendationScan, RuleIdsByModule, ScanOptions } from './recommendations.js';
export type { Result, ServiceError, ServiceErrorKind } from './result.js';
export { type Actor, hasRole, isRole, type Principal, ROLES, type Role, SYSTEM_ACTOR } from './roles.js';
export type { RuleDetail } from './rules.js';
export type { CatalogueRule } from './rules-catalogue.js';
export type { EffectiveRule, RuleSource } from './rules-effective.js';
export type { RuleTarget } from './rules-targets.js';
export type { NewSession, SessionAuthentication } from './sessions.js';
export type { ModuleInfo, SettingDefinition } from './setting-catalog.js';
export type { SettingTarget } from './settings.js';
export type { EffectiveSetting, SettingSource } from './settings-resolver.js';
export type { ComputerUpdateState, UpdateKindSummary, UpdatePackageVersion } from './update-packages.js';
export type { User } from './users.js';
export { INITIAL_ADMIN_USERNAME } from './users.js';
