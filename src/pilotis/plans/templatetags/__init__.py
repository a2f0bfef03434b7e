"""Template tags of the plan pages."""
