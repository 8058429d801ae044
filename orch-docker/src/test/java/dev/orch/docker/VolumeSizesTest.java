package dev.orch.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Volume sizes as an engine's disk usage gives them. No Docker needed. */
class VolumeSizesTest {

  @Test
  void sizesAreReadByNameAndAnUncomputedSizeIsLeftOut() throws Exception {
    String df = """
        {"LayersSize":1982308,"Images":[],"Containers":[],"Volumes":[
          {"Name":"data","Driver":"local","Labels":{"orch.owner":"o"},"UsageData":{"RefCount":1,"Size":1536006}},
          {"Name":"empty","UsageData":{"RefCount":0,"Size":0}},
          {"Name":"unknown","UsageData":{"RefCount":-1,"Size":-1}},
          {"Name":"none"}],
         "BuildCache":null}""";
    assertEquals(Map.of("data", 1536006L, "empty", 0L), VolumeSizes.parse(new ObjectMapper().readTree(df)));
  }

  @Test
  void anAnswerWithoutVolumesHasNoSizes() throws Exception {
    assertEquals(Map.of(), VolumeSizes.parse(new ObjectMapper().readTree("{\"Volumes\":null}")));
  }
}
