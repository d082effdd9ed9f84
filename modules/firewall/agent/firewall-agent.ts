import { createHash } from 'node:crypto';
import {
  type AgentModule,
  type AgentModuleContext,
  describeIssues,
  type ModuleConfiguration,
  type ModuleStatus,
  type NetworkEngineMode,
  type PlatformSettings,
  parseWith,
} from '@bulwark/protocol';
import {
  type BlockedSource,
  compileRuleset,
  DEFAULT_TABLE,
  EventAggregator,
  FIREWALL_MODULE_ID,
  FirewallConfiguration,
  MARK_INDEX_MASK,
  packetEvent,
  parseLogPrefix,
  parsePacket,
  ReconDetector,
  reconEvent,
  removalScript,
} from '../engine/index.js';
import { hostNft, type NftRunner } from './command-runner.js';
import {
  InterfaceNames,
  kernelPacketLog,
  type LoggedPacket,
  type PacketLogOpener,
  type PacketSubscription,
} from './packet-source.js';

export interface FirewallAgentOptions {
  readonly nft?: NftRunner;
  readonly openPacketLog?: PacketLogOpener;
  readonly table?: string;
  readonly eventGroup?: number;
  readonly reconGroup?: number;
  /** How long repeats of one flow are folded into one event. */
  readonly aggregationMs?: number;
  readonly now?: () => number;
}

const NF_INET_LOCAL_OUT = 3;
const NF_ARP_OUT = 1;

/**
 * The firewall on the host: applies the compiled nft table, reads the logged packets, folds them
 * into events, runs the reconnaissance detector and blocks sources through a timeout set.
 */
export class FirewallAgent implements AgentModule {
  readonly id = FIREWALL_MODULE_ID;
  private readonly nft: NftRunner;
  private readonly openLog: PacketLogOpener;
  private readonly table: string;
  private readonly eventGroup: number;
  private readonly reconGroup: number;
  private readonly now: () => number;
  private readonly aggregator: EventAggregator;
  private readonly interfaces = new InterfaceNames();
  private state: ModuleStatus = { id: FIREWALL_MODULE_ID, state: 'off' };
  private config: FirewallConfiguration | undefined;
  private mode: NetworkEngineMode = 'inline';
  private appliedKey: string | undefined;
  private detector: ReconDetector | undefined;
  private readonly blocks = new Map<string, { family: 'ipv4' | 'ipv6'; untilMs: number }>();
  private logs: PacketSubscription[] = [];
  private eventsReason: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly counters = { packetsLogged: 0, eventsEmitted: 0, detections: 0, blocks: 0, applies: 0 };

  constructor(
    private readonly context: AgentModuleContext,
    options: FirewallAgentOptions = {},
  ) {
    this.nft = options.nft ?? hostNft;
    this.openLog = options.openPacketLog ?? kernelPacketLog;
    this.table = options.table ?? DEFAULT_TABLE;
    this.eventGroup = options.eventGroup ?? 7401;
    this.reconGroup = options.reconGroup ?? 7402;
    this.now = options.now ?? Date.now;
    this.aggregator = new EventAggregator(options.aggregationMs ?? 5000);
  }

  async apply(configuration: ModuleConfiguration, platform: PlatformSettings): Promise<void> {
    if (!configuration.enabled) {
      await this.disable();
      return;
    }
    const parsed = parseWith(FirewallConfiguration, configuration.configuration);
    if (!parsed.ok) {
      this.state = { id: this.id, state: 'error', reason: `configuration refused: ${describeIssues(parsed.issues)}` };
      return;
    }
    const config = parsed.value;
    const mode = platform.networkEngineMode;
    const options = { mode, eventGroup: this.eventGroup, reconGroup: this.reconGroup, table: this.table };
    const key = createHash('sha256').update(compileRuleset(config, options).script).digest('hex');
    if (key !== this.appliedKey || !(await this.tableExists())) {
      const blocked = mode === 'inline' ? this.activeBlocks() : [];
      const result = await this.nft(['-f', '-'], compileRuleset(config, { ...options, blocked }).script);
      if (result.code !== 0) {
        const reason =
          result.code === 127
            ? `nft not available: ${result.stderr.trim()}`
            : `nft refused the ruleset: ${firstLines(result.stderr)}`;
        this.state = { id: this.id, state: result.code === 127 ? 'unavailable' : 'error', reason };
        this.context.log.error('firewall: applying the ruleset failed', { reason });
        return;
      }
      this.counters.applies++;
      this.appliedKey = key;
    }
    // Settings that do not change the table (block on/off, thresholds) still take effect.
    if (JSON.stringify(config.settings) !== JSON.stringify(this.config?.settings) || mode !== this.mode) {
      this.detector = new ReconDetector(config.settings);
    }
    this.config = config;
    this.mode = mode;
    if (mode === 'tap') this.blocks.clear();
    this.openLogs();
    this.state = this.onState();
    this.timer ??= setInterval(() => this.tick(), 1000);
    this.timer.unref?.();
  }

  private onState(): ModuleStatus {
    return {
      id: this.id,
      state: 'on',
      ...(this.eventsReason ? { reason: `events unavailable: ${this.eventsReason}` } : {}),
    };
  }

  async stop(): Promise<void> {
    this.flush(true);
    this.closeLogs();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // The table stays: nftables keeps enforcing while the agent restarts. apply(enabled: false) removes it.
  }

  status(): ModuleStatus {
    return { ...this.state, counters: { ...this.counters, blockedSources: this.activeBlocks().length } };
  }

  async run(command: string, args: Readonly<Record<string, unknown>>): Promise<unknown> {
    if (command === 'list-blocked') return this.activeBlocks();
    if (command === 'unblock') {
      const address = String(args.address ?? '');
      if (!this.blocks.delete(address)) throw new Error(`unblock: ${address || '(no address)'} is not blocked`);
      const set = address.includes(':') ? 'blocked6' : 'blocked4';
      await this.nft(['delete', 'element', 'inet', this.table, set, `{ ${address} }`]);
      return { unblocked: address };
    }
    throw new Error(`firewall: unknown command "${command}" (known: list-blocked, unblock)`);
  }

  /** Handles one batch from NFLOG; public so a test can feed recorded packets. */
  handlePackets(packets: readonly LoggedPacket[]): void {
    const config = this.config;
    if (!config) return;
    const now = this.now();
    for (const logged of packets) {
      this.counters.packetsLogged++;
      const prefix = parseLogPrefix(logged.prefix);
      const packet = parsePacket(logged.hwProtocol, logged.payload);
      if (!prefix || !packet) continue;
      if (prefix.kind === 'recon') {
        for (const detection of this.detector?.observe(packet, now) ?? []) {
          this.counters.detections++;
          if (detection.block && this.mode === 'inline')
            void this.block(detection.source, detection.family, config.settings.blockSeconds);
          this.emit(reconEvent(detection, this.mode, config.settings.blockSeconds));
        }
        continue;
      }
      const arp = logged.hwProtocol === 0x0806;
      const outgoing = arp ? logged.hook === NF_ARP_OUT : logged.hook === NF_INET_LOCAL_OUT;
      const iface = this.interfaces.name(outgoing ? logged.outInterface : logged.inInterface);
      const reason =
        prefix.reason.kind === 'marked-rule'
          ? { kind: 'rule' as const, index: logged.mark & MARK_INDEX_MASK }
          : prefix.reason;
      this.aggregator.add(
        {
          reason,
          verdict: prefix.verdict,
          direction: outgoing ? 'outgoing' : 'incoming',
          ...(iface ? { interface: iface } : {}),
          packet,
        },
        now,
      );
    }
  }

  private async block(address: string, family: 'ipv4' | 'ipv6', seconds: number): Promise<void> {
    this.blocks.set(address, { family, untilMs: this.now() + seconds * 1000 });
    this.counters.blocks++;
    const set = family === 'ipv4' ? 'blocked4' : 'blocked6';
    const r = await this.nft(['add', 'element', 'inet', this.table, set, `{ ${address} timeout ${seconds}s }`]);
    if (r.code !== 0)
      this.context.log.warn('firewall: blocking a source failed', { address, reason: firstLines(r.stderr) });
  }

  private activeBlocks(): BlockedSource[] {
    const now = this.now();
    const out: BlockedSource[] = [];
    for (const [address, b] of this.blocks) {
      if (b.untilMs <= now) this.blocks.delete(address);
      else out.push({ address, family: b.family, secondsLeft: Math.ceil((b.untilMs - now) / 1000) });
    }
    return out;
  }

  private tick(): void {
    this.flush(false);
    this.detector?.prune(this.now());
    this.activeBlocks();
  }

  private flush(all: boolean): void {
    const config = this.config;
    if (!config) return;
    for (const record of this.aggregator.flush(this.now(), all)) this.emit(packetEvent(record, config));
  }

  private emit(event: Parameters<AgentModuleContext['emit']>[0]): void {
    this.counters.eventsEmitted++;
    this.context.emit(event);
  }

  private openLogs(): void {
    if (this.logs.length > 0) return;
    const reasons: string[] = [];
    for (const group of [this.eventGroup, this.reconGroup]) {
      const sub = this.openLog(group, (packets) => this.handlePackets(packets));
      if (sub.available) this.logs.push(sub);
      else reasons.push(`NFLOG group ${group}: ${sub.reason}`);
    }
    this.eventsReason = reasons.length > 0 ? reasons.join('; ') : undefined;
  }

  private closeLogs(): void {
    for (const log of this.logs) if (log.available) log.close();
    this.logs = [];
  }

  private async tableExists(): Promise<boolean> {
    const r = await this.nft(['list', 'tables', 'inet']);
    return r.code === 0 && r.stdout.split('\n').some((line) => line.trim() === `table inet ${this.table}`);
  }

  private async disable(): Promise<void> {
    await this.stop();
    const r = await this.nft(['-f', '-'], removalScript(this.table));
    this.appliedKey = undefined;
    this.config = undefined;
    this.blocks.clear();
    this.state =
      r.code === 0 || r.code === 127
        ? { id: this.id, state: 'off' }
        : { id: this.id, state: 'error', reason: `removing the firewall table failed: ${firstLines(r.stderr)}` };
  }
}

function firstLines(text: string): string {
  return text.trim().split('\n').slice(0, 6).join(' | ').slice(0, 900);
}
