"""Timing scripts. They print numbers and never fail on time; tests live in tests/."""
