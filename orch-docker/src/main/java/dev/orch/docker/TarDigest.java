package dev.orch.docker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * A digest of what a tar archive holds, fed as the archive streams by: SHA-256 over each entry's path (relative
 * to the archive's top directory), type, size, link target and content, taken in path order, so that two
 * archives of equal trees digest equal however they were written. Modification times, owners, modes and
 * extended attributes do not count. Reads ustar names with a prefix, PAX records ({@code x}, {@code g}: path,
 * linkpath, size), GNU long names ({@code L}, {@code K}) and base-256 sizes; checks each header's checksum.
 * Not thread-safe: one stream feeds one digest.
 */
final class TarDigest {
  private static final int BLOCK = 512;
  /** The most a PAX or GNU long-name entry may hold; they hold a few names, not data. */
  private static final int MAX_META = 1 << 20;

  /**
   * What an archive holds.
   *
   * @param sha256    the digest of every entry, in path order, as hex
   * @param fileBytes the bytes of its regular files
   * @param entries   how many entries it has (its top directory among them)
   */
  record Summary(String sha256, long fileBytes, int entries) {
  }

  private enum Phase { HEADER, DATA, PADDING, END }

  private final byte[] header = new byte[BLOCK];
  private int headerFill;
  private Phase phase = Phase.HEADER;
  private long remaining;
  private long padding;
  /** The digest of each entry by its normalized path. */
  private final TreeMap<String, byte[]> entries = new TreeMap<>();
  private final MessageDigest sha = sha256();
  private long fileBytes;
  private long offset;
  private @Nullable String problem;

  // The entry being read: its path and kind, or a PAX or GNU entry that names the next one.
  private String path = "";
  private char kind;
  private @Nullable ByteArrayOutputStream meta;
  private char metaType;
  private final Map<String, String> pax = new HashMap<>();
  private final Map<String, String> globalPax = new HashMap<>();
  private @Nullable String gnuName;
  private @Nullable String gnuLink;

  /** Feeds {@code len} bytes of the archive, in order. */
  void update(byte[] b, int off, int len) {
    while (len > 0 && problem == null && phase != Phase.END) {
      int n;
      switch (phase) {
        case HEADER -> {
          n = Math.min(len, BLOCK - headerFill);
          System.arraycopy(b, off, header, headerFill, n);
          headerFill += n;
          if (headerFill == BLOCK) {
            headerFill = 0;
            onHeader();
          }
        }
        case DATA -> {
          n = (int) Math.min(len, remaining);
          if (meta != null) {
            meta.write(b, off, n);
          } else {
            sha.update(b, off, n);
          }
          remaining -= n;
          if (remaining == 0) {
            endOfData();
          }
        }
        default -> { // PADDING
          n = (int) Math.min(len, padding);
          padding -= n;
          if (padding == 0) {
            phase = Phase.HEADER;
          }
        }
      }
      off += n;
      len -= n;
      offset += n;
    }
  }

  /**
   * What the archive holds.
   *
   * @throws IllegalStateException when the archive is malformed or ends before its end marker
   */
  Summary finish() {
    if (problem != null) {
      throw new IllegalStateException(problem);
    }
    if (phase != Phase.END) {
      throw new IllegalStateException("the archive ends at byte " + offset + " before its end marker"
          + (phase == Phase.DATA ? ", " + remaining + " bytes short of entry " + path : ""));
    }
    MessageDigest all = sha256();
    for (Map.Entry<String, byte[]> e : entries.entrySet()) {
      all.update(e.getKey().getBytes(StandardCharsets.UTF_8));
      all.update((byte) 0);
      all.update(e.getValue());
    }
    return new Summary(HexFormat.of().formatHex(all.digest()), fileBytes, entries.size());
  }

  /** Reads {@code in} to its end and returns what the archive holds. */
  static Summary of(InputStream in) throws IOException {
    TarDigest d = new TarDigest();
    byte[] buf = new byte[64 * 1024];
    for (int n; (n = in.read(buf)) >= 0; ) {
      d.update(buf, 0, n);
    }
    return d.finish();
  }

  /** {@code in}, feeding this digest with whatever is read through it. */
  TarFeed feed(InputStream in) {
    return new TarFeed(in, this);
  }

  private void onHeader() {
    if (isZero(header)) {
      phase = Phase.END; // what follows is the rest of the end marker
      return;
    }
    long stored = number(148, 8);
    long sum = 0;
    long signedSum = 0; // what some old tar programs wrote
    for (int i = 0; i < BLOCK; i++) {
      sum += i >= 148 && i < 156 ? ' ' : header[i] & 0xff;
      signedSum += i >= 148 && i < 156 ? ' ' : header[i];
    }
    if (stored != sum && stored != signedSum) {
      problem = "the header at byte " + (offset + 1 - BLOCK) + " has checksum " + stored + ", not " + sum
          + ": not a tar archive, or a damaged one";
      return;
    }
    char type = (char) (header[156] & 0xff);
    long size = number(124, 12);
    if (problem != null) {
      return;
    }
    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
      if (size > MAX_META) {
        problem = "a '" + type + "' entry of " + size + " bytes at byte " + (offset + 1 - BLOCK) + " is too long";
        return;
      }
      meta = new ByteArrayOutputStream((int) size);
      metaType = type;
      startData(size);
      return;
    }
    String name = text(0, 100);
    if (isUstar()) {
      String prefix = text(345, 155);
      if (!prefix.isEmpty()) {
        name = prefix + "/" + name;
      }
    }
    String link = text(157, 100);
    name = first(gnuName, pax.get("path"), globalPax.get("path"), name);
    link = first(gnuLink, pax.get("linkpath"), globalPax.get("linkpath"), link);
    String paxSize = first(pax.get("size"), globalPax.get("size"), null);
    if (paxSize != null) {
      try {
        size = Long.parseLong(paxSize.strip());
      } catch (NumberFormatException e) {
        problem = "entry " + name + " has PAX size \"" + paxSize + "\"";
        return;
      }
    }
    gnuName = null;
    gnuLink = null;
    pax.clear();
    path = normalize(name);
    kind = switch (type) {
      case '0', '\0', '7' -> 'f';
      case '1' -> 'h';
      case '2' -> 'l';
      case '5' -> 'd';
      case '3' -> 'c';
      case '4' -> 'b';
      case '6' -> 'p';
      default -> type;
    };
    if (kind == 'h') {
      link = normalize(link);
    } else if (kind == 'c' || kind == 'b') {
      link = number(329, 8) + "," + number(337, 8);
    } else if (kind != 'l') {
      link = "";
    }
    sha.reset();
    sha.update((byte) kind);
    sha.update((byte) 0);
    sha.update(path.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    sha.update(link.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    for (int shift = 56; shift >= 0; shift -= 8) {
      sha.update((byte) (size >>> shift));
    }
    if (kind == 'f') {
      fileBytes += size;
    }
    meta = null;
    startData(size);
  }

  private void startData(long size) {
    remaining = size;
    padding = (BLOCK - size % BLOCK) % BLOCK;
    if (size == 0) {
      endOfData();
    } else {
      phase = Phase.DATA;
    }
  }

  private void endOfData() {
    ByteArrayOutputStream m = meta;
    if (m == null) {
      entries.put(path, sha.digest());
    } else {
      meta = null;
      byte[] bytes = m.toByteArray();
      switch (metaType) {
        case 'L' -> gnuName = cString(bytes);
        case 'K' -> gnuLink = cString(bytes);
        case 'g' -> paxRecords(bytes, globalPax);
        default -> paxRecords(bytes, pax);
      }
    }
    phase = padding > 0 ? Phase.PADDING : Phase.HEADER;
  }

  /** Reads PAX records ({@code "<length> <key>=<value>\n"}) into {@code into}. */
  private void paxRecords(byte[] b, Map<String, String> into) {
    int pos = 0;
    while (pos < b.length && b[pos] != 0) {
      int space = pos;
      while (space < b.length && b[space] != ' ') {
        space++;
      }
      int len;
      try {
        len = Integer.parseInt(new String(b, pos, space - pos, StandardCharsets.US_ASCII));
      } catch (NumberFormatException e) {
        len = -1;
      }
      if (len <= space - pos || pos + len > b.length || b[pos + len - 1] != '\n') {
        problem = "a malformed PAX record before byte " + offset;
        return;
      }
      String record = new String(b, space + 1, pos + len - space - 2, StandardCharsets.UTF_8);
      int eq = record.indexOf('=');
      if (eq > 0) {
        into.put(record.substring(0, eq), record.substring(eq + 1));
      }
      pos += len;
    }
  }

  /** A path relative to the archive's top directory: no leading {@code /}, no {@code .} or empty parts. */
  static String normalize(String name) {
    StringBuilder out = new StringBuilder();
    boolean top = true;
    for (String part : name.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (top) {
        top = false; // the archive's top directory: the volume itself
        continue;
      }
      if (out.length() > 0) {
        out.append('/');
      }
      out.append(part);
    }
    return out.toString();
  }

  private boolean isUstar() {
    return header[257] == 'u' && header[258] == 's' && header[259] == 't' && header[260] == 'a'
        && header[261] == 'r' && header[262] == 0;
  }

  private String text(int at, int len) {
    int end = at;
    while (end < at + len && header[end] != 0) {
      end++;
    }
    return new String(header, at, end - at, StandardCharsets.UTF_8);
  }

  /** An octal field, or a base-256 one (its first byte's high bit set) as GNU and Go write large sizes. */
  private long number(int at, int len) {
    if ((header[at] & 0x80) != 0) {
      long v = header[at] & 0x7f;
      for (int i = at + 1; i < at + len; i++) {
        if ((v >>> 55) != 0) {
          problem = "a base-256 number too large at byte " + (offset + 1 - BLOCK + at);
          return 0;
        }
        v = (v << 8) | (header[i] & 0xff);
      }
      return v;
    }
    long v = 0;
    for (int i = at; i < at + len; i++) {
      int c = header[i];
      if (c == 0 || c == ' ') {
        if (v != 0 || i > at && header[i - 1] >= '0') {
          break;
        }
        continue; // leading spaces
      }
      if (c < '0' || c > '7') {
        problem = "a malformed number at byte " + (offset + 1 - BLOCK + at);
        return 0;
      }
      v = v * 8 + (c - '0');
    }
    return v;
  }

  private static String cString(byte[] b) {
    int end = 0;
    while (end < b.length && b[end] != 0) {
      end++;
    }
    return new String(b, 0, end, StandardCharsets.UTF_8);
  }

  private static boolean isZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private static String first(@Nullable String a, @Nullable String b, @Nullable String c, String d) {
    return a != null ? a : b != null ? b : c != null ? c : d;
  }

  private static @Nullable String first(@Nullable String a, @Nullable String b, @Nullable String c) {
    return a != null ? a : b != null ? b : c;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
