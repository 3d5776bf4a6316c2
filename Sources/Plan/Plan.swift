// The diff between a desired and an actual ruleset.
