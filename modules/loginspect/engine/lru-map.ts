/**
 * A map bounded to `limit` keys that forgets the least recently used first. A linked list keeps
 * the order: the previous form (a Map re-inserted on every use, its first key evicted) left V8's
 * hash table with thousands of deleted slots at its front, and finding the first live key walked
 * all of them on every insertion once full (the largest single cost of the engine on a million
 * lines with random source addresses).
 */
interface Node<V> {
  readonly key: string;
  readonly value: V;
  /** Towards the least recently used. */
  older: Node<V> | undefined;
  newer: Node<V> | undefined;
}

export class LruMap<V> {
  readonly #nodes = new Map<string, Node<V>>();
  readonly #limit: number;
  #oldest: Node<V> | undefined;
  #newest: Node<V> | undefined;

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  get size(): number {
    return this.#nodes.size;
  }

  /** The value, without counting this as a use. */
  peek(key: string): V | undefined {
    return this.#nodes.get(key)?.value;
  }

  /** The value for `key`, made with `make` if absent (evicting the least recently used when full); now the most recent. */
  use(key: string, make: () => V): V {
    let node = this.#nodes.get(key);
    if (node !== undefined) {
      if (node !== this.#newest) {
        this.#unlink(node);
        this.#append(node);
      }
      return node.value;
    }
    if (this.#nodes.size >= this.#limit && this.#oldest !== undefined) {
      const evicted = this.#oldest;
      this.#unlink(evicted);
      this.#nodes.delete(evicted.key);
    }
    node = { key, value: make(), older: undefined, newer: undefined };
    this.#nodes.set(key, node);
    this.#append(node);
    return node.value;
  }

  /** Values from the least to the most recently used. */
  *values(): IterableIterator<V> {
    for (let n = this.#oldest; n !== undefined; n = n.newer) yield n.value;
  }

  #unlink(node: Node<V>): void {
    if (node.older) node.older.newer = node.newer;
    else this.#oldest = node.newer;
    if (node.newer) node.newer.older = node.older;
    else this.#newest = node.older;
    node.older = undefined;
    node.newer = undefined;
  }

  #append(node: Node<V>): void {
    node.older = this.#newest;
    if (this.#newest) this.#newest.newer = node;
    else this.#oldest = node;
    this.#newest = node;
  }
}
