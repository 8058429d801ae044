package dev.orch.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** What a tar archive's digest takes in (paths, types, sizes, contents) and what it leaves out. No Docker needed. */
class TarDigestTest {
  private static final byte[] BIG = new byte[1_500_000];

  static {
    for (int i = 0; i < BIG.length; i++) {
      BIG[i] = (byte) (i * 31 + i / 7);
    }
  }

  /** The tree the tests digest, written with the given mtime, owner and top directory. */
  private static byte[] tree(String top, long mtime, int uid, byte[] big) {
    return new TarWriter(mtime, uid).dir(top).file(top + "/a.txt", "hello\n").dir(top + "/d").dir(top + "/d/e")
        .file(top + "/d/e/f", "nested").file(top + "/empty", "").file(top + "/big", big)
        .symlink(top + "/link", "d/e/f").hardLink(top + "/again", top + "/a.txt").finish();
  }

  private static TarDigest.Summary digest(byte[] tar) throws IOException {
    return TarDigest.of(new ByteArrayInputStream(tar));
  }

  @Test
  void equalTreesDigestEqualWhateverTheirMtimesOwnersAndTopDirectory() throws IOException {
    TarDigest.Summary a = digest(tree("v", 1_700_000_000L, 0, BIG));
    TarDigest.Summary b = digest(tree("orch-volume", 1_800_000_123L, 999, BIG));
    assertEquals(a, b);
    assertEquals(6 + 6 + BIG.length, a.fileBytes(), "the regular files' bytes; links and directories hold none");
    assertEquals(9, a.entries(), "the top directory, 3 directories, 4 files, 2 links");
  }

  @Test
  void aChangedByteDigestsDifferent() throws IOException {
    byte[] changed = BIG.clone();
    changed[1_234_567] ^= 1;
    assertNotEquals(digest(tree("v", 1, 0, BIG)).sha256(), digest(tree("v", 1, 0, changed)).sha256());
  }

  @Test
  void aChangedPathTypeSizeOrLinkTargetDigestsDifferent() throws IOException {
    String base = digest(new TarWriter(1, 0).dir("v").file("v/x", "abc").finish()).sha256();
    List<byte[]> others = List.of(
        new TarWriter(1, 0).dir("v").file("v/y", "abc").finish(),
        new TarWriter(1, 0).dir("v").file("v/x", "abcd").finish(),
        new TarWriter(1, 0).dir("v").dir("v/x").finish(),
        new TarWriter(1, 0).dir("v").symlink("v/x", "abc").finish(),
        new TarWriter(1, 0).dir("v").file("v/x", "abc").file("v/z", "").finish());
    for (byte[] other : others) {
      assertNotEquals(base, digest(other).sha256());
    }
    assertNotEquals(digest(new TarWriter(1, 0).dir("v").symlink("v/l", "a").finish()).sha256(),
        digest(new TarWriter(1, 0).dir("v").symlink("v/l", "b").finish()).sha256());
  }

  @Test
  void aLongNameDigestsTheSameAsPaxAsGnuAndWithAUstarPrefix() throws IOException {
    String dir = "v/" + "d".repeat(60) + "/" + "e".repeat(60); // longer than a ustar name, split by a prefix
    String name = dir + "/" + "f".repeat(90);
    byte[] pax = new TarWriter(1, 0).dir("v").paxDir(dir).paxFile(name, "long").finish();
    byte[] gnu = new TarWriter(2, 0).dir("v").gnuDir(dir).gnuFile(name, "long").finish();
    byte[] prefix = new TarWriter(3, 0).dir("v").prefixedDir(dir).prefixedFile(name, "long").finish();
    TarDigest.Summary p = digest(pax);
    assertEquals(p, digest(gnu));
    assertEquals(p, digest(prefix));
    assertEquals(3, p.entries(), "the PAX and GNU records name entries, and are none");
    assertNotEquals(p, digest(new TarWriter(1, 0).dir("v").paxDir(dir).paxFile(name + "x", "long").finish()));
  }

  @Test
  void aBase256SizeReadsAsTheSameSize() throws IOException {
    assertEquals(digest(new TarWriter(1, 0).dir("v").file("v/x", "abcde").finish()),
        digest(new TarWriter(1, 0).dir("v").base256File("v/x", "abcde").finish()));
  }

  @Test
  void entriesInAnotherOrderDigestEqual() throws IOException {
    assertEquals(digest(new TarWriter(1, 0).dir("v").file("v/a", "1").file("v/b", "2").finish()),
        digest(new TarWriter(1, 0).dir("v").file("v/b", "2").file("v/a", "1").finish()));
  }

  @Test
  void aTruncatedOrDamagedArchiveIsRefused() {
    byte[] tar = tree("v", 1, 0, BIG);
    IllegalStateException cut = assertThrows(IllegalStateException.class,
        () -> digest(Arrays.copyOf(tar, tar.length / 2)));
    assertTrue(cut.getMessage().contains("before its end marker"), cut.getMessage());
    assertThrows(IllegalStateException.class, () -> digest(Arrays.copyOf(tar, tar.length - 1024)),
        "an archive without its end marker");
    byte[] damaged = tar.clone();
    damaged[10] ^= 1; // the first header's name
    IllegalStateException bad = assertThrows(IllegalStateException.class, () -> digest(damaged));
    assertTrue(bad.getMessage().contains("checksum"), bad.getMessage());
  }

  @Test
  void whatIsReadThroughAFeedIsDigested() throws IOException {
    byte[] tar = tree("v", 1, 0, BIG);
    TarDigest d = new TarDigest();
    try (TarFeed feed = d.feed(new ByteArrayInputStream(tar))) {
      assertEquals(tar[0] & 0xff, feed.read());
      assertEquals(99, feed.skip(99));
      feed.readAllBytes();
    }
    assertEquals(digest(tar), d.finish());
  }

  @Property(tries = 50)
  void howTheArchiveIsChunkedDoesNotMatter(@ForAll @Size(min = 1, max = 20) List<@IntRange(min = 1, max = 3000) Integer> chunks)
      throws IOException {
    byte[] tar = tree("v", 1, 0, Arrays.copyOf(BIG, 70_000));
    TarDigest d = new TarDigest();
    int at = 0;
    for (int i = 0; at < tar.length; i++) {
      int n = Math.min(chunks.get(i % chunks.size()), tar.length - at);
      d.update(tar, at, n);
      at += n;
    }
    assertEquals(digest(tar), d.finish());
  }

  /** A tiny tar writer (ustar headers, PAX and GNU long names), enough to build the archives above. */
  private static final class TarWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final long mtime;
    private final int uid;

    TarWriter(long mtime, int uid) {
      this.mtime = mtime;
      this.uid = uid;
    }

    TarWriter dir(String name) {
      return entry(name + "/", "", '5', new byte[0], false);
    }

    TarWriter file(String name, String content) {
      return file(name, content.getBytes(StandardCharsets.UTF_8));
    }

    TarWriter file(String name, byte[] content) {
      return entry(name, "", '0', content, false);
    }

    TarWriter base256File(String name, String content) {
      return entry(name, "", '0', content.getBytes(StandardCharsets.UTF_8), true);
    }

    TarWriter symlink(String name, String target) {
      return entry(name, target, '2', new byte[0], false);
    }

    TarWriter hardLink(String name, String target) {
      return entry(name, target, '1', new byte[0], false);
    }

    TarWriter paxDir(String name) {
      pax(name + "/");
      return entry("PaxHeaders/truncated/", "", '5', new byte[0], false);
    }

    TarWriter paxFile(String name, String content) {
      pax(name);
      return entry("PaxHeaders/truncated", "", '0', content.getBytes(StandardCharsets.UTF_8), false);
    }

    TarWriter gnuDir(String name) {
      entry("././@LongLink", "", 'L', (name + "/\0").getBytes(StandardCharsets.UTF_8), false);
      return entry((name + "/").substring(0, 100), "", '5', new byte[0], false);
    }

    TarWriter gnuFile(String name, String content) {
      entry("././@LongLink", "", 'L', (name + "\0").getBytes(StandardCharsets.UTF_8), false);
      return entry(name.substring(0, 100), "", '0', content.getBytes(StandardCharsets.UTF_8), false);
    }

    TarWriter prefixedDir(String name) {
      return prefixed(name + "/", '5', new byte[0]);
    }

    TarWriter prefixedFile(String name, String content) {
      return prefixed(name, '0', content.getBytes(StandardCharsets.UTF_8));
    }

    byte[] finish() {
      out.writeBytes(new byte[1024]);
      return out.toByteArray();
    }

    private void pax(String path) {
      String rec = " path=" + path + "\n";
      int len = rec.length() + 1;
      while (String.valueOf(len).length() + rec.length() != len) {
        len = String.valueOf(len).length() + rec.length();
      }
      entry("PaxHeaders/x", "", 'x', (len + rec).getBytes(StandardCharsets.UTF_8), false);
    }

    private TarWriter prefixed(String name, char type, byte[] content) {
      String trimmed = name.endsWith("/") ? name.substring(0, name.length() - 1) : name;
      int cut = trimmed.lastIndexOf('/');
      byte[] h = header(name.substring(cut + 1), "", type, content.length, false);
      put(h, 345, 155, name.substring(0, cut));
      checksum(h);
      write(h, content);
      return this;
    }

    private TarWriter entry(String name, String link, char type, byte[] content, boolean base256) {
      byte[] h = header(name, link, type, content.length, base256);
      checksum(h);
      write(h, content);
      return this;
    }

    private byte[] header(String name, String link, char type, long size, boolean base256) {
      byte[] h = new byte[512];
      put(h, 0, 100, name);
      put(h, 100, 8, octal(0644, 7));
      put(h, 108, 8, octal(uid, 7));
      put(h, 116, 8, octal(uid, 7));
      if (base256) {
        h[124] = (byte) 0x80;
        for (int i = 0; i < 8; i++) {
          h[135 - i] = (byte) (size >>> (8 * i));
        }
      } else {
        put(h, 124, 12, octal(size, 11));
      }
      put(h, 136, 12, octal(mtime, 11));
      h[156] = (byte) type;
      put(h, 157, 100, link);
      put(h, 257, 6, "ustar");
      put(h, 263, 2, "00");
      put(h, 265, 32, "u" + uid);
      return h;
    }

    private void write(byte[] header, byte[] content) {
      out.writeBytes(header);
      out.writeBytes(content);
      out.writeBytes(new byte[(512 - content.length % 512) % 512]);
    }

    private static void checksum(byte[] h) {
      Arrays.fill(h, 148, 156, (byte) ' ');
      long sum = 0;
      for (byte b : h) {
        sum += b & 0xff;
      }
      put(h, 148, 7, octal(sum, 6));
    }

    private static String octal(long v, int digits) {
      String s = Long.toOctalString(v);
      return "0".repeat(Math.max(0, digits - s.length())) + s;
    }

    private static void put(byte[] h, int at, int len, String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      if (b.length > len) {
        throw new IllegalArgumentException("\"" + s + "\" is longer than " + len + " bytes");
      }
      System.arraycopy(b, 0, h, at, b.length);
    }
  }
}
