// Decoding of the Kubernetes protobuf encoding for the built-in kinds served here, because kubectl's typed
// commands (`create namespace`, `create configmap`, `create secret`) send their bodies that way. Replies
// are JSON, which those clients also accept; the one exception is the OpenAPI v2 document, which kubectl
// before 1.27 reads only as protobuf (see openapi-v2-protobuf.ts, which writes with ProtoWriter).
import { badRequest } from './errors.js';
import type { KubeObject } from './resources.js';

type Json = Record<string, unknown>;

/** The four bytes that open every Kubernetes protobuf message: "k8s" and a zero. */
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Field =
  | { name: string; kind: 'string' | 'bytes' | 'bool' | 'int' | 'time' }
  | { name: string; kind: 'message'; message: MessageSpec }
  | { name: string; kind: 'map'; value: 'string' | 'bytes' }
  | { name: string; kind: 'repeated-string' }
  | { name: string; kind: 'repeated-message'; message: MessageSpec };

export type MessageSpec = Record<number, Field>;

const OWNER_REFERENCE: MessageSpec = {
  1: { name: 'kind', kind: 'string' },
  3: { name: 'name', kind: 'string' },
  4: { name: 'uid', kind: 'string' },
  5: { name: 'apiVersion', kind: 'string' },
  6: { name: 'controller', kind: 'bool' },
  7: { name: 'blockOwnerDeletion', kind: 'bool' },
};

const OBJECT_META: MessageSpec = {
  1: { name: 'name', kind: 'string' },
  2: { name: 'generateName', kind: 'string' },
  3: { name: 'namespace', kind: 'string' },
  5: { name: 'uid', kind: 'string' },
  6: { name: 'resourceVersion', kind: 'string' },
  7: { name: 'generation', kind: 'int' },
  8: { name: 'creationTimestamp', kind: 'time' },
  9: { name: 'deletionTimestamp', kind: 'time' },
  10: { name: 'deletionGracePeriodSeconds', kind: 'int' },
  11: { name: 'labels', kind: 'map', value: 'string' },
  12: { name: 'annotations', kind: 'map', value: 'string' },
  13: { name: 'ownerReferences', kind: 'repeated-message', message: OWNER_REFERENCE },
  14: { name: 'finalizers', kind: 'repeated-string' },
};

const KINDS: Record<string, MessageSpec> = {
  'v1/Namespace': {
    1: { name: 'metadata', kind: 'message', message: OBJECT_META },
    2: { name: 'spec', kind: 'message', message: { 1: { name: 'finalizers', kind: 'repeated-string' } } },
  },
  'v1/ConfigMap': {
    1: { name: 'metadata', kind: 'message', message: OBJECT_META },
    2: { name: 'data', kind: 'map', value: 'string' },
    3: { name: 'binaryData', kind: 'map', value: 'bytes' },
    4: { name: 'immutable', kind: 'bool' },
  },
  'v1/Secret': {
    1: { name: 'metadata', kind: 'message', message: OBJECT_META },
    2: { name: 'data', kind: 'map', value: 'bytes' },
    3: { name: 'type', kind: 'string' },
    4: { name: 'stringData', kind: 'map', value: 'string' },
    5: { name: 'immutable', kind: 'bool' },
  },
};

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw badRequest('protobuf body is truncated');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  }

  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw badRequest('protobuf body is truncated');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 2) this.bytes();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 5) this.pos += 4;
    else throw badRequest(`protobuf body has an unsupported wire type ${wireType}`);
  }
}

function readFields(buf: Buffer, visit: (field: number, wireType: number, r: Reader) => void): void {
  const r = new Reader(buf);
  while (!r.done) {
    const tag = Number(r.varint());
    const field = tag >>> 3;
    const wireType = tag & 7;
    const before = r.pos;
    visit(field, wireType, r);
    if (r.pos === before) r.skip(wireType);
  }
}

function listAt(out: Json, name: string): unknown[] {
  out[name] ??= [];
  return out[name] as unknown[];
}

/** Decode the fields `spec` names from one protobuf message; others are skipped. */
export function decodeMessage(buf: Buffer, spec: MessageSpec): Json {
  const out: Json = {};
  readFields(buf, (num, wireType, r) => {
    const f = spec[num];
    if (!f) return;
    switch (f.kind) {
      case 'string':
        out[f.name] = r.bytes().toString('utf8');
        break;
      case 'bytes':
        out[f.name] = r.bytes().toString('base64');
        break;
      case 'bool':
        out[f.name] = r.varint() !== 0n;
        break;
      case 'int':
        out[f.name] = Number(BigInt.asIntN(64, r.varint()));
        break;
      case 'time': {
        const t = decodeMessage(r.bytes(), { 1: { name: 'seconds', kind: 'int' } });
        out[f.name] = new Date(Number(t.seconds ?? 0) * 1000).toISOString().replace('.000Z', 'Z');
        break;
      }
      case 'message':
        out[f.name] = decodeMessage(r.bytes(), f.message);
        break;
      case 'repeated-string':
        listAt(out, f.name).push(r.bytes().toString('utf8'));
        break;
      case 'repeated-message':
        listAt(out, f.name).push(decodeMessage(r.bytes(), f.message));
        break;
      case 'map': {
        const entry = decodeMessage(r.bytes(), {
          1: { name: 'k', kind: 'string' },
          2: { name: 'v', kind: f.value },
        });
        out[f.name] ??= {};
        const map = out[f.name] as Json;
        map[String(entry.k ?? '')] = entry.v ?? '';
        break;
      }
    }
    void wireType;
  });
  return out;
}

/** Decode a `application/vnd.kubernetes.protobuf` body into the JSON form of the same object. */
export function decodeKubernetesProtobuf(body: Buffer): KubeObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
    throw badRequest('protobuf body lacks the Kubernetes envelope');
  const unknown = decodeMessage(body.subarray(4), {
    1: {
      name: 'typeMeta',
      kind: 'message',
      message: { 1: { name: 'apiVersion', kind: 'string' }, 2: { name: 'kind', kind: 'string' } },
    },
    2: { name: 'raw', kind: 'bytes' },
  });
  const typeMeta = (unknown.typeMeta ?? {}) as Json;
  const key = `${String(typeMeta.apiVersion ?? '')}/${String(typeMeta.kind ?? '')}`;
  const spec = KINDS[key];
  if (!spec) throw badRequest(`protobuf bodies are not supported for ${key}; send JSON`);
  const raw = Buffer.from(String(unknown.raw ?? ''), 'base64');
  return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...decodeMessage(raw, spec) } as KubeObject;
}

/** Writes protobuf fields in the order they are given; nested messages are written by a child writer. */
export class ProtoWriter {
  private readonly chunks: Buffer[] = [];

  private tag(field: number, wireType: number): void {
    this.varint(BigInt((field << 3) | wireType));
  }

  private varint(value: bigint): void {
    let v = BigInt.asUintN(64, value);
    const bytes: number[] = [];
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) b |= 0x80;
      bytes.push(b);
    } while (v !== 0n);
    this.chunks.push(Buffer.from(bytes));
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  bytes(field: number, value: Buffer): this {
    this.tag(field, 2);
    this.varint(BigInt(value.length));
    this.chunks.push(value);
    return this;
  }

  bool(field: number, value: boolean): this {
    this.tag(field, 0);
    this.varint(value ? 1n : 0n);
    return this;
  }

  int(field: number, value: number): this {
    this.tag(field, 0);
    this.varint(BigInt(Math.trunc(value)));
    return this;
  }

  double(field: number, value: number): this {
    this.tag(field, 1);
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    this.chunks.push(b);
    return this;
  }

  message(field: number, inner: ProtoWriter): this {
    return this.bytes(field, inner.finish());
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
