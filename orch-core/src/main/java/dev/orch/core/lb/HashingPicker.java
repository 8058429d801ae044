package dev.orch.core.lb;

/**
 * A consistent-hashing picker: it picks by the request key, and slow start does not scale its weights
 * (a ramping weight would move keys between endpoints as it grows).
 */
abstract class HashingPicker extends Picker {
  @Override
  final boolean hashesKey() {
    return true;
  }

  @Override
  final boolean honoursSlowStart() {
    return false;
  }
}
