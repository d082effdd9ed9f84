export {
  DEFAULT_MAX_BACKLOG,
  Destination,
  DestinationChange,
  DestinationStatus,
  NewDestination,
} from './destination-schema.js';
export { type DestinationsService, destinationsService } from './destinations.js';
export { eventMessage, FORWARDING_FORMATS, type ForwardingFormat } from './event-message.js';
export type { ForwardedEvent, ProductIdentity } from './forwarded-event.js';
export { type ForwardingLogger, type ForwardingOptions, type RunningForwarder, startForwarding } from './forwarder.js';
export { forwardingMigration } from './forwarding-migration.js';
