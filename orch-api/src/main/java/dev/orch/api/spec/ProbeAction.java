package dev.orch.api.spec;

import java.util.List;
import java.util.Objects;

/** What a probe does: an HTTP GET, a TCP connect, or a command run in the container. */
public sealed interface ProbeAction {

  /**
   * An HTTP GET; a 2xx or 3xx status succeeds, anything else, a timeout or a refused connection fails.
   *
   * @param path the request path, starting with '/'
   * @param port the container port to call
   */
  record HttpGet(String path, PortRef port) implements ProbeAction {
    /** Creates the action; both components are required. */
    public HttpGet {
      Objects.requireNonNull(path, "path");
      Objects.requireNonNull(port, "port");
    }
  }

  /**
   * A TCP connect; an accepted connection succeeds.
   *
   * @param port the container port to connect to
   */
  record TcpSocket(PortRef port) implements ProbeAction {
    /** Creates the action. */
    public TcpSocket {
      Objects.requireNonNull(port, "port");
    }
  }

  /**
   * A command run inside the container through the runtime; exit code 0 succeeds.
   *
   * @param command the command and its arguments; not empty
   */
  record Exec(List<String> command) implements ProbeAction {
    /** Creates the action, copying the command. */
    public Exec {
      Objects.requireNonNull(command, "command");
      command = List.copyOf(command);
    }
  }
}
