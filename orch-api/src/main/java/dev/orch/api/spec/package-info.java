/**
 * The model: immutable, validated descriptions of what should run ({@code *Spec}) and its parts.
 *
 * <p>Every type here is immutable and thread-safe. Builders check a value whole when they build it and
 * report every violation at once in an {@link dev.orch.api.spec.InvalidSpecException}.
 */
@NullMarked
package dev.orch.api.spec;

import org.jspecify.annotations.NullMarked;
