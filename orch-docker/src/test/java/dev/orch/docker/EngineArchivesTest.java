package dev.orch.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.InternalServerErrorException;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.orch.api.runtime.ContainerRuntimeException;
import dev.orch.api.runtime.RequestRefusedException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * How the archive endpoints' answers become failures: as docker-java's for the same status, so that they
 * translate as a call through docker-java does. No Docker needed.
 */
class EngineArchivesTest {
  private final DockerEngine engine = DockerEngine.of("e0", "unix:///run/e0.sock");

  private static StreamingHttpClient.Response answer(int status, String body) {
    return new StreamingHttpClient.Response(status, Map.of(),
        new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void aMissingContainerOrPathFailsAsDockerJavasNotFoundAndTranslatesToARefusal() {
    String message = "{\"message\":\"No such container: orch-copy-v-1-src\"}";
    NotFoundException e = assertThrows(NotFoundException.class, () -> EngineArchives.refuseUnlessOk(answer(404,
        message)));
    assertTrue(e.getMessage().contains(message), e.getMessage());
    ContainerRuntimeException t = DockerErrors.translate(engine, "copy volume v: read the source", e, null, null);
    assertInstanceOf(RequestRefusedException.class, t);
    assertEquals("e0: copy volume v: read the source failed: engine answered HTTP 404: Status 404: " + message,
        t.getMessage());
  }

  @Test
  void anyOtherRefusalCarriesItsStatusAndTheEnginesMessage() {
    InternalServerErrorException e = assertThrows(InternalServerErrorException.class,
        () -> EngineArchives.refuseUnlessOk(answer(500, "{\"message\":\"extraction failed: no space left\"}\n")));
    assertTrue(e.getMessage().contains("no space left"), e.getMessage());
    DockerException teapot = assertThrows(DockerException.class, () -> EngineArchives.refuseUnlessOk(answer(418,
        "short and stout")));
    assertEquals(418, teapot.getHttpStatus());
    ContainerRuntimeException t = DockerErrors.translate(engine, "copy volume v: write the copy", teapot, null, null);
    assertInstanceOf(RequestRefusedException.class, t);
    assertTrue(t.getMessage().contains("HTTP 418") && t.getMessage().contains("short and stout"), t.getMessage());
  }

  @Test
  void aSuccessIsLeftToBeRead() throws Exception {
    StreamingHttpClient.Response ok = answer(200, "tar");
    EngineArchives.refuseUnlessOk(ok);
    assertEquals("tar", ok.text(10));
  }

  @Test
  void archivesStreamDirectlyButOverTls() {
    assertTrue(EngineArchives.streamsDirectly(engine));
    assertTrue(EngineArchives.streamsDirectly(DockerEngine.of("e1", "tcp://10.0.0.2:2375")));
    assertFalse(EngineArchives.streamsDirectly(DockerEngine.of("e2", "tcp://10.0.0.2:2376")
        .withTls(Path.of("/etc/orch/certs"))), "through docker-java");
  }

  @Test
  void namesAndPathsAreEncodedInTheTarget() {
    assertEquals("orch-copy-my_vol.1-ab12cd34-src", EngineArchives.encode("orch-copy-my_vol.1-ab12cd34-src"));
    assertEquals("%2Forch-volume", EngineArchives.encode("/orch-volume"));
    assertEquals("a%20b%26c%3D%C3%A9", EngineArchives.encode("a b&c=é"));
  }
}
