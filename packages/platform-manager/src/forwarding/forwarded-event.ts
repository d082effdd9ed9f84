import type { StoredEvent } from '../services/events.js';

/** An event as the forwarder sends it: the stored event and the computer it came from. */
export interface ForwardedEvent extends StoredEvent {
  readonly computer: {
    readonly hostname: string | null;
    readonly name: string | null;
    readonly policyId: string | null;
  };
}

/** Who we are in every format's vendor/product/version fields. */
export interface ProductIdentity {
  readonly vendor: string;
  readonly product: string;
  readonly version: string;
}
