package dev.orch.api.runtime;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A create was refused because the runtime cannot get the image: it has no such image and cannot pull it (no
 * such repository or tag, no access, no registry reachable). The request's failure, not the node's.
 */
public class ImageNotFoundException extends RequestRefusedException {
  private static final long serialVersionUID = 1L;

  /** The image that could not be had. */
  private final String image;

  /** Creates the exception for {@code image}, with a message. */
  public ImageNotFoundException(String image, String message) {
    super(message);
    this.image = Objects.requireNonNull(image, "image");
  }

  /** Creates the exception for {@code image}, with a message and a cause. */
  public ImageNotFoundException(String image, String message, @Nullable Throwable cause) {
    super(message, cause);
    this.image = Objects.requireNonNull(image, "image");
  }

  /** The image the create asked for. */
  public String image() {
    return image;
  }
}
