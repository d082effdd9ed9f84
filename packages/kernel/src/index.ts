export { type Availability, type ChannelStats, kernelAddonStatus, type Opened } from './addon.js';
export {
  type FileAccessEvent,
  type FileAccessEventType,
  type FileAccessMonitor,
  type FileAccessMonitorOptions,
  type FileAccessResponse,
  type FileAccessStats,
  type FileIdentity,
  type FileStampFields,
  type MarkScope,
  openFileAccessMonitor,
} from './file-access.js';
export { type LoggedPacket, openPacketLog, type PacketLog, type PacketLogOptions } from './packet-log.js';
export {
  openPacketQueue,
  type PacketQueue,
  type PacketQueueOptions,
  type PacketVerdict,
  type QueuedPacket,
  type VerdictEntry,
} from './packet-queue.js';
export {
  detectSteeringBackend,
  installQueueSteering,
  type QueueSteeringOptions,
  removeQueueSteering,
  type SteeringBackend,
  type SteeringHook,
  type SteeringResult,
} from './queue-steering.js';
export { sendRawPacket } from './raw-packet.js';
export { openUeventMonitor, type UeventItem, type UeventMonitor, type UeventMonitorOptions } from './uevent-monitor.js';
