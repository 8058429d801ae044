/**
 * Leaf helpers that orch-core's packages share: duration checks, exponential backoff, revision hashing and
 * a Failsafe scheduler over a {@link dev.orch.api.time.TimeSource}. Not API: public only so that orch-core's
 * own packages can use them; they may change in any release. Depends on orch-api and the JDK alone.
 */
@NullMarked
package dev.orch.core.util;

import org.jspecify.annotations.NullMarked;
