import type { Decoder } from './decoder.js';

/** One log line as it moves through pre-decoding, decoding and the rules. */
export interface LogEvent {
  readonly fullLog: string;
  /** The message after the syslog header; what decoders and `<match>` see. */
  readonly log: string;
  readonly location: string;
  readonly hostname: string | undefined;
  readonly programName: string | undefined;
  /** Milliseconds since the epoch, from the caller's clock. */
  readonly time: number;
  decoder: Decoder | undefined;
  /** Decoded fields, fixed (srcip, dstuser, ...) and dynamic alike. */
  readonly fields: Map<string, string>;
}

/** Reads a field as rules see it: the fixed names of OSSEC first, then decoded fields. */
export function fieldValue(event: LogEvent, name: string): string | undefined {
  switch (name) {
    case 'location':
      return event.location;
    case 'hostname':
      return event.hostname ?? event.location;
    case 'program_name':
      return event.programName;
    case 'full_log':
      return event.fullLog;
    case 'dstuser':
    case 'user':
      return event.fields.get('dstuser') ?? event.fields.get('user');
    case 'extra_data':
      // OSSEC stores a decoder's `data` and `extra_data` in one field (lf->data) that rules read
      // as extra_data; Wazuh keeps two, so `data` counts only when no extra_data was decoded.
      return event.fields.get('extra_data') ?? event.fields.get('data');
    default:
      return event.fields.get(name);
  }
}

/**
 * The decoded fields of which one must be present for fieldValue(event, name) to have a value;
 * undefined when the name reads no decoded field. Keep in step with fieldValue.
 */
export function decodedFieldsRead(name: string): readonly string[] | undefined {
  switch (name) {
    case 'location':
    case 'hostname':
    case 'program_name':
    case 'full_log':
      return undefined;
    case 'dstuser':
    case 'user':
      return ['dstuser', 'user'];
    case 'extra_data':
      return ['extra_data', 'data'];
    default:
      return [name];
  }
}
