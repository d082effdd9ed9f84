/**
 * The addon hands each batch over as two buffers: fixed 64-byte records (layout: struct bw_record
 * in src/native/channel.h) and one data buffer that holds payloads and text. Decoding here keeps the
 * native side free of per-item JS allocations. @internal
 */
export const RECORD_SIZE = 64;

export interface RawRecord {
  readonly ticket: number;
  readonly kind: number;
  readonly mark: number;
  readonly indev: number;
  readonly outdev: number;
  readonly hwProtocol: number;
  readonly originalLength: number;
  readonly payload: Uint8Array;
  readonly text: string;
  readonly timeMs: number;
  readonly uid: number | undefined;
  readonly gid: number | undefined;
}

const utf8 = new TextDecoder();
const ABSENT = 0xffffffff;

export function decodeBatch(records: ArrayBuffer, data: ArrayBuffer, count: number): RawRecord[] {
  const view = new DataView(records);
  const n = Math.min(count, Math.floor(records.byteLength / RECORD_SIZE));
  const out: RawRecord[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * RECORD_SIZE;
    const dataOff = view.getUint32(o + 32, true);
    const dataLen = view.getUint32(o + 36, true);
    const textOff = view.getUint32(o + 40, true);
    const textLen = view.getUint32(o + 44, true);
    const uid = view.getUint32(o + 56, true);
    const gid = view.getUint32(o + 60, true);
    out[i] = {
      ticket: view.getFloat64(o, true),
      kind: view.getUint32(o + 8, true),
      mark: view.getUint32(o + 12, true),
      indev: view.getUint32(o + 16, true),
      outdev: view.getUint32(o + 20, true),
      hwProtocol: view.getUint32(o + 24, true),
      originalLength: view.getUint32(o + 28, true),
      payload: inRange(data, dataOff, dataLen) ? new Uint8Array(data, dataOff, dataLen) : new Uint8Array(0),
      text: textLen > 0 && inRange(data, textOff, textLen) ? utf8.decode(new Uint8Array(data, textOff, textLen)) : '',
      timeMs: view.getFloat64(o + 48, true),
      uid: uid === ABSENT ? undefined : uid,
      gid: gid === ABSENT ? undefined : gid,
    };
  }
  return out;
}

function inRange(data: ArrayBuffer, off: number, len: number): boolean {
  return off + len <= data.byteLength;
}
