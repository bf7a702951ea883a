"""Sample submissions of the fictional 青源市: the test corpus and the example inbox."""
