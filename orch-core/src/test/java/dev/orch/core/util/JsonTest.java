package dev.orch.core.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void readsEveryKindOfValue() {
    Map<String, Object> m = Json.parseObject(
        "{ \"s\": \"a\\\"b\\\\c\\n\\u00e9\", \"i\": -12, \"d\": 2.5e3, \"t\": true, \"f\": false, \"z\": null,"
            + " \"l\": [1, [], {}], \"big\": 12345678901234567890 }");
    assertEquals("a\"b\\c\né", m.get("s"));
    assertEquals(-12L, m.get("i"));
    assertEquals(2500.0, m.get("d"));
    assertEquals(true, m.get("t"));
    assertEquals(false, m.get("f"));
    assertTrue(m.containsKey("z") && m.get("z") == null);
    assertEquals(Arrays.asList(1L, List.of(), Map.of()), m.get("l"));
    assertEquals(1.2345678901234567e19, m.get("big"));
    assertEquals(List.of("s", "i", "d", "t", "f", "z", "l", "big"), List.copyOf(m.keySet()), "member order kept");
  }

  @Test
  void badTextIsRefusedSayingWhereAndWhy() {
    assertEquals("not JSON: ':' was expected, not '1' (line 2, column 6)",
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\n \"a\" 1}")).getMessage());
    for (String bad : List.of("", "{", "[1,]", "{\"a\":1,}", "01x", "01", "-012", "\"\\u+123\"", "\"\\x\"", "tru", "{\"a\":1}{}", "\"a\nb\"",
        "{\"a\":1,\"a\":2}", "[".repeat(100) + "]".repeat(100))) {
      assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
    }
  }

  @Test
  void writesCompactAndPretty() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", "web\t\"1\"");
    m.put("n", 3);
    m.put("cpu", 0.25);
    m.put("whole", 2.0);
    m.put("none", null);
    m.put("list", List.of(1, "x"));
    m.put("empty", Map.of());
    assertEquals("{\"name\":\"web\\t\\\"1\\\"\",\"n\":3,\"cpu\":0.25,\"whole\":2,\"none\":null,\"list\":[1,\"x\"],"
        + "\"empty\":{}}", Json.write(m));
    Map<String, Object> nested = new LinkedHashMap<>();
    nested.put("a", List.of(1));
    nested.put("b", Map.of());
    assertEquals("{\n  \"a\": [\n    1\n  ],\n  \"b\": {}\n}", Json.pretty(nested));
    assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()));
  }

  @Property(tries = 200)
  void whatIsWrittenReadsBackEqual(@ForAll("values") Object value) {
    assertEquals(value, Json.parse(Json.write(value)));
    assertEquals(value, Json.parse(Json.pretty(value)));
  }

  @Provide
  Arbitrary<Object> values() {
    Arbitrary<Object> leaf = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(12).map(s -> (Object) s),
        Arbitraries.longs().map(l -> (Object) l), Arbitraries.of(true, false).map(b -> (Object) b),
        Arbitraries.doubles().between(-1e6, 1e6).ofScale(3).filter(d -> d != Math.rint(d)).map(d -> (Object) d));
    Arbitrary<Object> list = leaf.list().ofMaxSize(4).map(l -> (Object) l);
    Arbitrary<Object> map = Arbitraries.maps(Arbitraries.strings().alpha().ofMaxLength(6), Arbitraries.oneOf(leaf, list))
        .ofMaxSize(4).map(m -> (Object) new LinkedHashMap<>(m));
    return Arbitraries.oneOf(leaf, list, map);
  }
}
