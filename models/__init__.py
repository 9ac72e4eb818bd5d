"""Targets, samplers, generators, losses, metrics and training loops (no Qt)."""
