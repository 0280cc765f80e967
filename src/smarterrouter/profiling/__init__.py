"""Profiling: measure each model on this machine (quality, speed, memory)."""
