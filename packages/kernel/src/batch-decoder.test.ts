import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeBatch, RECORD_SIZE } from './batch-decoder.js';

function record(fields: {
  ticket: number;
  kind: number;
  dataOff: number;
  dataLen: number;
  textOff: number;
  textLen: number;
  uid: number;
}) {
  const buf = new ArrayBuffer(RECORD_SIZE);
  const v = new DataView(buf);
  v.setFloat64(0, fields.ticket, true);
  v.setUint32(8, fields.kind, true);
  v.setUint32(12, 7, true);
  v.setUint32(16, 2, true);
  v.setUint32(20, 3, true);
  v.setUint32(24, 0x0800, true);
  v.setUint32(28, 1500, true);
  v.setUint32(32, fields.dataOff, true);
  v.setUint32(36, fields.dataLen, true);
  v.setUint32(40, fields.textOff, true);
  v.setUint32(44, fields.textLen, true);
  v.setFloat64(48, 1_700_000_000_000.5, true);
  v.setUint32(56, fields.uid, true);
  v.setUint32(60, 0xffffffff, true);
  return new Uint8Array(buf);
}

test('decodes the record layout the addon writes', () => {
  const data = new TextEncoder().encode('\x45\x00\x00\x28drop-in ');
  const recs = new Uint8Array(RECORD_SIZE * 2);
  recs.set(record({ ticket: 42, kind: 1, dataOff: 0, dataLen: 4, textOff: 4, textLen: 7, uid: 1000 }), 0);
  recs.set(
    record({ ticket: 43, kind: 3, dataOff: 4, dataLen: 0, textOff: 0, textLen: 0, uid: 0xffffffff }),
    RECORD_SIZE,
  );
  const [a, b] = decodeBatch(recs.buffer, data.buffer, 2);
  assert.ok(a && b);
  assert.equal(a.ticket, 42);
  assert.equal(a.kind, 1);
  assert.equal(a.mark, 7);
  assert.equal(a.indev, 2);
  assert.equal(a.outdev, 3);
  assert.equal(a.hwProtocol, 0x0800);
  assert.equal(a.originalLength, 1500);
  assert.deepEqual([...a.payload], [0x45, 0, 0, 0x28]);
  assert.equal(a.text, 'drop-in');
  assert.equal(a.timeMs, 1_700_000_000_000.5);
  assert.equal(a.uid, 1000);
  assert.equal(a.gid, undefined);
  assert.equal(b.ticket, 43);
  assert.equal(b.payload.byteLength, 0);
  assert.equal(b.uid, undefined);
});

test('never reads past the buffers, whatever the records say', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: RECORD_SIZE * 4 }),
      fc.uint8Array({ maxLength: 64 }),
      fc.nat(10),
      (recs, data, count) => {
        const out = decodeBatch(recs.slice().buffer, data.slice().buffer, count);
        assert.ok(out.length <= Math.floor(recs.byteLength / RECORD_SIZE));
        for (const r of out) assert.ok(r.payload.byteOffset + r.payload.byteLength <= data.byteLength);
      },
    ),
  );
});
