package dev.orch.docker;

import com.github.dockerjava.api.exception.BadRequestException;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.InternalServerErrorException;
import com.github.dockerjava.api.exception.NotAcceptableException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.exception.UnauthorizedException;
import dev.failsafe.CircuitBreakerOpenException;
import dev.orch.api.runtime.ContainerConflictException;
import dev.orch.api.runtime.ContainerRuntimeException;
import dev.orch.api.runtime.ImageNotFoundException;
import dev.orch.api.runtime.NameInUseException;
import dev.orch.api.runtime.NoSuchContainerException;
import dev.orch.api.runtime.NodeNotReadyException;
import dev.orch.api.runtime.RequestRefusedException;
import dev.orch.api.runtime.RuntimeUnavailableException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Turns docker-java's failures into the SPI's exceptions, with messages naming node, call and answer. Classified
 * by cause: an answer from the engine (any HTTP status, 500 included) is a refusal of the request
 * ({@link RequestRefusedException} and its kinds), never the engine's failure; only transport errors and
 * timeouts ({@link RuntimeUnavailableException}) count against the engine's circuit breaker and health.
 */
final class DockerErrors {
  /** The engine's words for a create of an image it does not have: {@code No such image: orch-test/x:9}. */
  private static final java.util.regex.Pattern NO_SUCH_IMAGE = java.util.regex.Pattern.compile(
      "No such image: ([^\\s\"}]+)");

  private DockerErrors() {
  }

  /** The innermost cause that is not a wrapper of the async machinery. */
  static Throwable unwrap(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /**
   * The exception docker-java throws for an engine's answer of HTTP {@code status} (not 2xx) with {@code body},
   * for a call made around docker-java to fail as one made through it does.
   */
  static DockerException answered(int status, String body) {
    return switch (status) {
      case 304 -> new NotModifiedException(body);
      case 400 -> new BadRequestException(body);
      case 401 -> new UnauthorizedException(body);
      case 404 -> new NotFoundException(body);
      case 406 -> new NotAcceptableException(body);
      case 409 -> new ConflictException(body);
      case 500 -> new InternalServerErrorException(body);
      default -> new DockerException(body, status);
    };
  }

  /**
   * The SPI exception for {@code error}, raised by call {@code what} on {@code engine}.
   *
   * @param containerId the id the caller used, named by a {@link NoSuchContainerException}; null if none
   * @param name        the container name of a create, named by a {@link ContainerConflictException}; or null
   */
  static ContainerRuntimeException translate(DockerEngine engine, String what, Throwable error,
                                             @Nullable String containerId, @Nullable String name) {
    Throwable t = unwrap(error);
    if (t instanceof ContainerRuntimeException cre) {
      return cre;
    }
    String prefix = engine.id() + ": " + what + " failed: ";
    if (t instanceof NotFoundException) {
      if (containerId != null && message(t).contains("No such container")) {
        return new NoSuchContainerException(prefix + "no container " + containerId, t);
      }
      java.util.regex.Matcher image = NO_SUCH_IMAGE.matcher(message(t));
      if (image.find()) {
        return new ImageNotFoundException(image.group(1), prefix + "engine answered HTTP 404: " + message(t), t);
      }
      return new RequestRefusedException(prefix + "engine answered HTTP 404: " + message(t), t);
    }
    if (t instanceof ConflictException) {
      return name != null
          ? new NameInUseException(name, prefix + "the name " + name + " is in use: " + message(t), t)
          : new ContainerConflictException(prefix + "engine answered HTTP 409: " + message(t), t);
    }
    if (t instanceof CircuitBreakerOpenException) {
      return new NodeNotReadyException(prefix + "engine " + engine.host()
          + " failed repeatedly; calls are held back for a while (circuit open)", t);
    }
    if (t instanceof TimeoutException) {
      return new RuntimeUnavailableException(prefix + "engine " + engine.host() + " did not answer in time", t);
    }
    if (t instanceof DockerException de && de.getHttpStatus() >= 400) {
      // The engine answered: it is up, and refused this request. Even a 500 is the request's (a bind failure
      // at start, "address already in use", comes back as one), so it never counts against the engine.
      return new RequestRefusedException(prefix + "engine answered HTTP " + de.getHttpStatus() + ": " + message(t), t);
    }
    // Everything else is transport: refused connection, reset, broken pipe, read timeout.
    return new RuntimeUnavailableException(prefix + "engine " + engine.host() + " did not answer: " + t, t);
  }

  private static String message(Throwable t) {
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m.strip();
  }
}
