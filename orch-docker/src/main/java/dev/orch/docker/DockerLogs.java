package dev.orch.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.LogContainerCmd;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import dev.orch.api.runtime.LogBuffer;
import dev.orch.api.runtime.LogLine;
import dev.orch.api.runtime.LogOptions;
import dev.orch.api.runtime.LogStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * One container's log streamed from its engine ({@code GET /containers/{id}/logs}, following when asked) into a
 * {@link LogBuffer}: frames are cut into lines per stream (standard output and standard error each keep their own
 * partial line), timestamps parsed when asked for, and a full buffer under {@code PAUSE} blocks docker-java's
 * reading thread, so the engine's stream waits. Closing the stream closes the request.
 */
final class DockerLogs extends ResultCallback.Adapter<Frame> {
  /** The longest line kept whole: a longer one (or one that never ends) reaches the reader in pieces of this. */
  static final int MAX_LINE_BYTES = 64 * 1024;
  private final String containerId;
  private final boolean timestamps;
  private final LogBuffer buffer;
  private final ByteArrayOutputStream partialOut = new ByteArrayOutputStream();
  private final ByteArrayOutputStream partialErr = new ByteArrayOutputStream();
  private final EngineNode node;

  private DockerLogs(EngineNode node, String containerId, LogOptions options) {
    this.node = node;
    this.containerId = containerId;
    this.timestamps = options.timestamps();
    this.buffer = new LogBuffer(options, this::closeQuietly);
  }

  /** Starts streaming container {@code dockerId} (Orch's id {@code containerId}) on {@code node}. */
  static LogStream open(EngineNode node, String containerId, String dockerId, LogOptions options) {
    DockerLogs logs = new DockerLogs(node, containerId, options);
    node.call("logs of " + containerId, false, containerId, null, c -> {
      LogContainerCmd cmd = c.slow().logContainerCmd(dockerId).withStdOut(options.stdout())
          .withStdErr(options.stderr()).withFollowStream(options.follow()).withTimestamps(options.timestamps());
      if (options.tail() >= 0) {
        cmd.withTail(options.tail());
      } else {
        cmd.withTailAll();
      }
      if (options.since() != null) {
        cmd.withSince((int) options.since().getEpochSecond());
      }
      cmd.exec(logs);
      return null;
    }).whenComplete((v, e) -> {
      if (e != null) {
        logs.buffer.end(e instanceof java.util.concurrent.CompletionException && e.getCause() != null
            ? e.getCause() : e);
      }
    });
    return logs.buffer;
  }

  /**
   * Closes the request at once when the reader closed the stream before the engine answered (docker-java's
   * {@code onStart} would otherwise reopen the callback and leave the connection open until the next frame).
   */
  @Override
  public void onStart(java.io.Closeable stream) {
    super.onStart(stream);
    if (buffer.isEnded()) {
      closeQuietly();
    }
  }

  @Override
  public void onNext(Frame frame) {
    ByteArrayOutputStream partial = frame.getStreamType() == StreamType.STDERR ? partialErr : partialOut;
    LogLine.Source source = frame.getStreamType() == StreamType.STDERR ? LogLine.Source.STDERR
        : LogLine.Source.STDOUT;
    byte[] payload = frame.getPayload();
    int start = 0;
    try {
      for (int i = 0; i < payload.length; i++) {
        if (payload[i] == '\n') {
          partial.write(payload, start, i - start);
          if (!emit(source, partial)) {
            return;
          }
          start = i + 1;
        }
      }
      partial.write(payload, start, payload.length - start);
      if (partial.size() >= MAX_LINE_BYTES && !emit(source, partial)) { // a line without end: in pieces
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      buffer.end(e);
      closeQuietly();
    }
  }

  /** Hands the reader the line in {@code partial}; false when the reader has gone. */
  private boolean emit(LogLine.Source source, ByteArrayOutputStream partial) throws InterruptedException {
    String text = partial.toString(StandardCharsets.UTF_8);
    partial.reset();
    if (text.endsWith("\r")) {
      text = text.substring(0, text.length() - 1);
    }
    Instant at = null;
    if (timestamps) {
      int space = text.indexOf(' ');
      if (space > 0) {
        try {
          at = Instant.parse(text.substring(0, space));
          text = text.substring(space + 1);
        } catch (DateTimeParseException notATimestamp) {
          at = null;
        }
      }
    }
    if (!buffer.offer(new LogLine(containerId, source, at, text))) {
      closeQuietly();
      return false;
    }
    return true;
  }

  @Override
  public void onError(Throwable t) {
    buffer.end(DockerErrors.translate(node.engine, "logs of " + containerId, t, containerId, null));
    super.onError(t);
  }

  @Override
  public void onComplete() {
    try {
      if (partialOut.size() > 0) {
        emit(LogLine.Source.STDOUT, partialOut);
      }
      if (partialErr.size() > 0) {
        emit(LogLine.Source.STDERR, partialErr);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    buffer.end(null);
    super.onComplete();
  }

  private void closeQuietly() {
    try {
      close();
    } catch (java.io.IOException | RuntimeException ignored) {
      // the stream is being torn down: nothing to tell the reader, who closed it or has what it needs
    }
  }

  @Override
  public String toString() {
    return "DockerLogs[" + containerId + ", " + buffer + "]";
  }
}
