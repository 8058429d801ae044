package dev.orch.api.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What {@link StateStore#requireValidValue} takes for one JSON document, and what it refuses, saying where. */
class JsonSyntaxTest {
  @ParameterizedTest
  @ValueSource(strings = {"{}", "[]", "0", "-0.5e+3", "\"a\\u00e9\\n\"", "true", "null", " {\"a\": [1, {\"b\": false}]} ",
      "{\"k\":\"\\\"quoted\\\"\"}", "12345678901234567890"})
  void documentsPass(String json) {
    assertNull(JsonSyntax.problem(json), json);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "{not json", "{\"a\":1,}", "[1,]", "01", "1.", "-", "tru", "\"open", "{\"a\" 1}",
      "{} {}", "'a'", "\"tab\there\"", "\"\\x\"", "[1 2]", "{1:2}", "NaN"})
  void othersAreRefused(String text) {
    String why = JsonSyntax.problem(text);
    assertTrue(why != null, () -> "refused: " + text);
  }

  @org.junit.jupiter.api.Test
  void theErrorNamesTheKeyAndWhere() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> StateStore.requireValidValue("services/web/spec", "{\"a\":1,}"));
    assertEquals("value of \"services/web/spec\": not a JSON document: a member name expected at 7 ('}')",
        e.getMessage());
    assertThrows(NullPointerException.class, () -> StateStore.requireValidValue("k", null));
    assertNull(JsonSyntax.problem("[".repeat(512) + "]".repeat(512)));
    assertTrue(JsonSyntax.problem("[".repeat(600) + "]".repeat(600)).contains("nested deeper than 512"));
  }
}
