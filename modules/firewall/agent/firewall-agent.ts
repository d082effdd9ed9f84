import { createHash } from 'node:crypto';
import {
  type AgentModule,
  type AgentModuleContext,
  describeIssues,
  describeRejectedRules,
  type ModuleConfiguration,
  type ModuleStatus,
  type NetworkEngineMode,
  type PlatformSettings,
} from '@bulwark/protocol';
import {
  type BlockedSource,
  compileRuleset,
  DEFAULT_TABLE,
  EventAggregator,
  FIREWALL_MODULE_ID,
  type FirewallConfiguration,
  MARK_INDEX_MASK,
  type ManagerEndpoint,
  packetEvent,
  parseLogPrefix,
  parsePacket,
  type ReconDetection,
  ReconDetector,
  reconEvent,
  removalScript,
} from '../engine/index.js';
import { hostNft, type NftRunner } from './command-runner.js';
import { parseConfiguration } from './configuration-check.js';
import { EMPTY_STATE, type FirewallState, readFirewallState, writeFirewallState } from './firewall-state.js';
import { forgetInstalledTable, readInstalledTable, recordInstalledTable } from './installed-table.js';
import { contextManagerEndpoints, type ManagerEndpointSource } from './manager-endpoints.js';
import {
  InterfaceNames,
  kernelPacketLog,
  type LoggedPacket,
  type PacketLogOpener,
  type PacketSubscription,
} from './packet-source.js';
import { RecentTables } from './recent-tables.js';

export interface FirewallAgentOptions {
  readonly nft?: NftRunner;
  readonly openPacketLog?: PacketLogOpener;
  readonly table?: string;
  readonly eventGroup?: number;
  readonly reconGroup?: number;
  /** How long repeats of one flow are folded into one event. */
  readonly aggregationMs?: number;
  /** Wall-clock milliseconds: block expiry is saved across restarts, so it must be real time. */
  readonly now?: () => number;
  /** Where the manager is, kept open above every rule (default: from the agent's identity file). */
  readonly managerEndpoints?: ManagerEndpointSource;
}

const NF_INET_LOCAL_OUT = 3;
/** Hex digits of the apply key that name a table version in log prefixes. */
const TABLE_VERSION_DIGITS = 12;
const NF_ARP_OUT = 1;

/**
 * The firewall on the host: applies the compiled nft table, reads the logged packets, folds them
 * into events, runs the reconnaissance detector and blocks sources through a timeout set.
 */
export class FirewallAgent implements AgentModule {
  readonly id = FIREWALL_MODULE_ID;
  readonly #nft: NftRunner;
  readonly #openLog: PacketLogOpener;
  readonly #table: string;
  readonly #eventGroup: number;
  readonly #reconGroup: number;
  readonly #now: () => number;
  readonly #aggregator: EventAggregator;
  readonly #interfaces = new InterfaceNames();
  #state: ModuleStatus = { id: FIREWALL_MODULE_ID, state: 'off' };
  #config: FirewallConfiguration | undefined;
  #mode: NetworkEngineMode = 'inline';
  /** Hash of what the table in force was compiled from (configuration, mode, manager endpoints). */
  #appliedKey: string | undefined;
  readonly #managerSource: ManagerEndpointSource;
  #managers: readonly ManagerEndpoint[] = [];
  #restored = false;
  #detector: ReconDetector | undefined;
  readonly #blocks = new Map<string, { family: 'ipv4' | 'ipv6'; untilMs: number }>();
  readonly #tables = new RecentTables();
  #logs: PacketSubscription[] = [];
  #eventsReason: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #counters = { packetsLogged: 0, eventsEmitted: 0, detections: 0, blocks: 0, applies: 0 };

  readonly #context: AgentModuleContext;

  constructor(context: AgentModuleContext, options: FirewallAgentOptions = {}) {
    this.#context = context;
    this.#nft = options.nft ?? hostNft;
    this.#openLog = options.openPacketLog ?? kernelPacketLog;
    this.#table = options.table ?? DEFAULT_TABLE;
    this.#eventGroup = options.eventGroup ?? 7401;
    this.#reconGroup = options.reconGroup ?? 7402;
    this.#now = options.now ?? Date.now;
    this.#aggregator = new EventAggregator(options.aggregationMs ?? 5000);
    this.#managerSource = options.managerEndpoints ?? contextManagerEndpoints;
  }

  /**
   * `platform.failMode` and `failDeadlineMilliseconds` have nothing to act on here: every verdict
   * is taken by nft in the kernel and NFLOG hands the agent copies, so no packet ever waits for
   * this process. The table enforces the same whether the agent is running, stalled or dead.
   */
  async apply(configuration: ModuleConfiguration, platform: PlatformSettings): Promise<void> {
    if (!configuration.enabled) {
      await this.#disable();
      return;
    }
    this.#restoreState();
    await this.#refreshManagers();
    const mode = platform.networkEngineMode;
    // One hash of the input decides whether anything changed: a re-apply of the same
    // configuration costs neither a schema check nor a compile, only a look that the table is there.
    const key = createHash('sha256')
      .update(JSON.stringify([configuration.configuration, mode, this.#managers, this.#table]))
      .digest('hex');
    let config = this.#config;
    if (key !== this.#appliedKey || !config || !(await this.#tableExists())) {
      const parsed = parseConfiguration(configuration.configuration);
      if (!parsed.ok) {
        this.#state = {
          id: this.id,
          state: 'error',
          reason: `configuration refused: ${describeIssues(parsed.issues)}`,
        };
        return;
      }
      config = parsed.value;
      if (mode === 'tap') this.#clearBlocks();
      const tableVersion = key.slice(0, TABLE_VERSION_DIGITS);
      const { script } = compileRuleset(config, {
        tableVersion,
        mode,
        eventGroup: this.#eventGroup,
        reconGroup: this.#reconGroup,
        table: this.#table,
        blocked: mode === 'inline' ? this.#activeBlocks() : [],
        managerEndpoints: this.#managers,
      });
      if (readInstalledTable(this.#context.dataDir) !== this.#table) {
        // Before loading: a crash right after the load must still leave deactivation a table to remove.
        const problem = recordInstalledTable(this.#context, this.#table);
        if (problem) this.#context.log.warn('firewall: table not recorded (deactivation may miss it)', { problem });
      }
      const result = await this.#nft(['-f', '-'], script);
      if (result.code !== 0) {
        const failed = nftFailure(this.id, result.code, result.stderr);
        this.#state = failed;
        this.#context.log.error('firewall: applying the ruleset failed', { reason: failed.reason });
        return;
      }
      this.#counters.applies++;
      this.#appliedKey = key;
      this.#tables.remember(tableVersion, config.rules);
    }
    // Settings that do not change the table (block on/off, thresholds) still take effect.
    if (JSON.stringify(config.settings) !== JSON.stringify(this.#config?.settings) || mode !== this.#mode) {
      this.#detector = new ReconDetector(config.settings);
    }
    this.#config = config;
    this.#mode = mode;
    this.#openLogs();
    this.#state = this.#onState();
    this.#timer ??= setInterval(() => this.#tick(), 1000);
    this.#timer.unref?.();
  }

  /** Blocks saved by the previous run come back (until their end) with the first apply. */
  #restoreState(): void {
    if (this.#restored) return;
    this.#restored = true;
    const read = readFirewallState(this.#context.dataDir);
    if (read.problem) this.#context.log.warn('firewall: saved state not restored', { reason: read.problem });
    const now = this.#now();
    for (const b of read.state.blocks)
      if (b.untilMs > now) this.#blocks.set(b.address, { family: b.family, untilMs: b.untilMs });
    this.#managers = read.state.managerEndpoints;
  }

  /** The manager's addresses now; when they cannot be found, the last ones found stay open. */
  async #refreshManagers(): Promise<void> {
    const read = await this.#managerSource(this.#context);
    if (!read.ok) {
      this.#context.log.warn('firewall: manager address unknown; keeping the last known open', { reason: read.reason });
      return;
    }
    const endpoints = read.endpoints.filter((e) => !e.address.includes('%'));
    if (JSON.stringify(endpoints) === JSON.stringify(this.#managers)) return;
    this.#managers = endpoints;
    this.#saveState();
  }

  #saveState(): void {
    const state: FirewallState = {
      ...EMPTY_STATE,
      blocks: [...this.#blocks].map(([address, b]) => ({ address, family: b.family, untilMs: b.untilMs })),
      managerEndpoints: [...this.#managers],
    };
    const problem = writeFirewallState(this.#context, state);
    if (problem) this.#context.log.warn('firewall: state not saved (blocks will not survive a restart)', { problem });
  }

  #onState(): ModuleStatus {
    // Rules the manager's compiler left out are enforced nowhere: say so in every heartbeat.
    const rejected = (this.#config?.rejected ?? []).map((r) => ({ id: r.ruleId, reason: r.reason }));
    const reasons = [
      ...(rejected.length > 0 ? [describeRejectedRules(rejected, 600)] : []),
      ...(this.#eventsReason ? [`events unavailable: ${this.#eventsReason}`] : []),
    ];
    return { id: this.id, state: 'on', ...(reasons.length > 0 ? { reason: reasons.join('; ').slice(0, 1024) } : {}) };
  }

  async stop(): Promise<void> {
    this.#flush(true);
    this.#closeLogs();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    // The table stays: nftables keeps enforcing while the agent restarts. apply(enabled: false)
    // and removeFromHost() (deactivation) remove it.
  }

  /** Deactivation: the table this firewall loaded goes, whichever process loaded it. */
  async removeFromHost(): Promise<void> {
    const table = readInstalledTable(this.#context.dataDir) ?? (this.#appliedKey ? this.#table : null);
    if (table === null) {
      await this.stop();
      return;
    }
    const r = await this.#disable(table);
    // Unlike disable(), "nft cannot run here" is no excuse: the record says a table of ours is there.
    if (r.code !== 0) throw new Error(`removing the nft table ${table} failed: ${firstLines(r.stderr)}`);
  }

  kernelHooks(): readonly string[] {
    return this.#appliedKey === undefined ? [] : [`nftables tables "inet ${this.#table}" and "arp ${this.#table}"`];
  }

  status(): ModuleStatus {
    const counters = { ...this.#counters, blockedSources: this.#activeBlocks().length };
    return { ...this.#state, counters: { ...counters, rejectedRules: this.#config?.rejected.length ?? 0 } };
  }

  async run(command: string, args: Readonly<Record<string, unknown>>): Promise<unknown> {
    if (command === 'list-blocked') return this.#activeBlocks();
    if (command === 'unblock') {
      const address = String(args.address ?? '');
      if (!this.#blocks.delete(address)) throw new Error(`unblock: ${address || '(no address)'} is not blocked`);
      this.#saveState();
      const set = address.includes(':') ? 'blocked6' : 'blocked4';
      await this.#nft(['delete', 'element', 'inet', this.#table, set, `{ ${address} }`]);
      return { unblocked: address };
    }
    throw new Error(`firewall: unknown command "${command}" (known: list-blocked, unblock)`);
  }

  /** Handles one batch from NFLOG; public so a test can feed recorded packets. */
  handlePackets(packets: readonly LoggedPacket[]): void {
    const config = this.#config;
    if (!config) return;
    const now = this.#now();
    for (const logged of packets) {
      this.#counters.packetsLogged++;
      const prefix = parseLogPrefix(logged.prefix);
      const packet = parsePacket(logged.hwProtocol, logged.payload);
      if (!prefix || !packet) continue;
      // The kernel's time of the packet where it gives one (every input hook packet), so that a
      // stalled agent does not date what it reads late; 0 means none (output hook).
      const kernelTimeMs = logged.timeMs > 0 ? logged.timeMs : undefined;
      if (prefix.kind === 'recon') {
        for (const detection of this.#detector?.observe(packet, kernelTimeMs ?? now) ?? []) {
          this.#counters.detections++;
          this.#onDetection(detection, config.settings.blockSeconds);
        }
        continue;
      }
      const arp = logged.hwProtocol === 0x0806;
      const outgoing = arp ? logged.hook === NF_ARP_OUT : logged.hook === NF_INET_LOCAL_OUT;
      const iface = this.#interfaces.name(outgoing ? logged.outInterface : logged.inInterface);
      const reason =
        prefix.reason.kind === 'marked-rule'
          ? { kind: 'rule' as const, index: logged.mark & MARK_INDEX_MASK }
          : prefix.reason;
      // Named from the table that logged the packet: a change since may have moved every rule.
      const rule = reason.kind === 'rule' ? this.#tables.ruleAt(prefix.table, reason.index, config.rules) : undefined;
      this.#aggregator.add(
        {
          reason,
          verdict: prefix.verdict,
          direction: outgoing ? 'outgoing' : 'incoming',
          ...(iface ? { interface: iface } : {}),
          packet,
          ...(rule ? { rule } : {}),
          ...(kernelTimeMs !== undefined ? { kernelTimeMs } : {}),
        },
        now,
      );
    }
  }

  /** Blocks the source when blocking is on and allowed, then reports what was actually done. */
  #onDetection(detection: ReconDetection, seconds: number): void {
    if (!detection.block) {
      this.#emit(reconEvent(detection, { kind: 'logged' }));
      return;
    }
    if (this.#mode === 'tap') {
      this.#emit(reconEvent(detection, { kind: 'detect-only' }));
      return;
    }
    if (this.#managers.some((m) => m.address === detection.source)) {
      const reason = "it is this agent's manager, whose address is never blocked";
      this.#emit(reconEvent(detection, { kind: 'not-blocked', reason }));
      return;
    }
    void this.#block(detection.source, detection.family, seconds).then((problem) =>
      this.#emit(
        reconEvent(
          detection,
          problem === undefined ? { kind: 'blocked', seconds } : { kind: 'not-blocked', reason: problem },
        ),
      ),
    );
  }

  /** Puts the source into the blocked set; the problem when nft refused, else undefined. */
  async #block(address: string, family: 'ipv4' | 'ipv6', seconds: number): Promise<string | undefined> {
    this.#blocks.set(address, { family, untilMs: this.#now() + seconds * 1000 });
    this.#counters.blocks++;
    this.#saveState();
    const set = family === 'ipv4' ? 'blocked4' : 'blocked6';
    const r = await this.#nft(['add', 'element', 'inet', this.#table, set, `{ ${address} timeout ${seconds}s }`]);
    if (r.code === 0) return undefined;
    this.#context.log.warn('firewall: blocking a source failed', { address, reason: firstLines(r.stderr) });
    this.#blocks.delete(address);
    this.#saveState();
    return `blocking failed: ${firstLines(r.stderr)}`;
  }

  #clearBlocks(): void {
    if (this.#blocks.size === 0) return;
    this.#blocks.clear();
    this.#saveState();
  }

  #activeBlocks(): BlockedSource[] {
    const now = this.#now();
    const out: BlockedSource[] = [];
    for (const [address, b] of this.#blocks) {
      if (b.untilMs <= now) this.#blocks.delete(address);
      else out.push({ address, family: b.family, secondsLeft: Math.ceil((b.untilMs - now) / 1000) });
    }
    return out;
  }

  #tick(): void {
    this.#flush(false);
    this.#detector?.prune(this.#now());
    this.#activeBlocks();
  }

  #flush(all: boolean): void {
    const config = this.#config;
    if (!config) return;
    for (const record of this.#aggregator.flush(this.#now(), all)) this.#emit(packetEvent(record));
  }

  #emit(event: Parameters<AgentModuleContext['emit']>[0]): void {
    this.#counters.eventsEmitted++;
    this.#context.emit(event);
  }

  #openLogs(): void {
    if (this.#logs.length > 0) return;
    const reasons: string[] = [];
    for (const group of [this.#eventGroup, this.#reconGroup]) {
      const sub = this.#openLog(group, (packets) => this.handlePackets(packets));
      if (sub.available) this.#logs.push(sub);
      else reasons.push(`NFLOG group ${group}: ${sub.reason}`);
    }
    this.#eventsReason = reasons.length > 0 ? reasons.join('; ') : undefined;
  }

  #closeLogs(): void {
    for (const log of this.#logs) if (log.available) log.close();
    this.#logs = [];
  }

  async #tableExists(): Promise<boolean> {
    // Not `list tables`: nft 1.0 fetches the whole ruleset for it (seconds for 10,000 rules);
    // one of our own small sets answers in milliseconds, and only if our table is there.
    const r = await this.#nft(['list', 'set', 'inet', this.#table, 'blocked4']);
    return r.code === 0;
  }

  async #disable(table = this.#table): Promise<{ code: number; stderr: string }> {
    await this.stop();
    const r = await this.#nft(['-f', '-'], removalScript(table));
    if (r.code === 0) forgetInstalledTable(this.#context.dataDir);
    this.#appliedKey = undefined;
    this.#config = undefined;
    this.#clearBlocks();
    // Where nft cannot run at all (no binary, no privilege) there is no table of ours either.
    this.#state =
      r.code === 0 || nftFailure(this.id, r.code, r.stderr).state === 'unavailable'
        ? { id: this.id, state: 'off' }
        : { id: this.id, state: 'error', reason: `removing the firewall table failed: ${firstLines(r.stderr)}` };
    return r;
  }
}

/**
 * The status after nft refused or could not run: a host where the firewall cannot run at all (no
 * nft, no privilege, no nf_tables in the kernel) is `unavailable`; a ruleset the kernel refused is an `error`.
 */
export function nftFailure(id: string, code: number, stderr: string): ModuleStatus & { reason: string } {
  if (code === 127) return { id, state: 'unavailable', reason: `nft not available: ${stderr.trim()}` };
  if (/Operation not permitted|Permission denied/i.test(stderr))
    return { id, state: 'unavailable', reason: `nftables needs root (CAP_NET_ADMIN): ${firstLines(stderr)}` };
  if (/Protocol not supported/i.test(stderr))
    return { id, state: 'unavailable', reason: `this kernel has no nf_tables: ${firstLines(stderr)}` };
  return { id, state: 'error', reason: `nft refused the ruleset: ${firstLines(stderr)}` };
}

function firstLines(text: string): string {
  return text.trim().split('\n').slice(0, 6).join(' | ').slice(0, 900);
}
