/**
 * Rollouts, in one home: rolling-update waves, blue/green and canary steps, progress deadlines, analysis,
 * pause, promotion and automatic rollback, with one progress record per service
 * ({@link dev.orch.core.rollout.RolloutState}). Not API: public only so that the engine and the benchmarks
 * can reach it; it may change in any release. What it needs of the engine comes through
 * {@link dev.orch.core.rollout.RolloutEffects}.
 */
package dev.orch.core.rollout;
