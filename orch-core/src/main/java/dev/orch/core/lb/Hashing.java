package dev.orch.core.lb;

/** 64-bit hashing of request keys and endpoint ids, without allocation. Stateless. */
final class Hashing {
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;
  static final long GOLDEN = 0x9e3779b97f4a7c15L;

  private Hashing() {
  }

  /** FNV-1a over the key's UTF-16 units, then MurmurHash3's finaliser for avalanche. */
  static long hash(CharSequence key) {
    long h = FNV_OFFSET;
    for (int i = 0, n = key.length(); i < n; i++) {
      char c = key.charAt(i);
      h ^= c & 0xff;
      h *= FNV_PRIME;
      h ^= c >>> 8;
      h *= FNV_PRIME;
    }
    return mix(h);
  }

  /** A second, independent hash of {@code key} (for Maglev's skip). */
  static long hash2(CharSequence key) {
    return mix(hash(key) ^ GOLDEN);
  }

  /** MurmurHash3's 64-bit finaliser. */
  static long mix(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
