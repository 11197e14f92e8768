"""Approved actions: the `action` task executor (exactly once: `running` is written before
the effect, the outcome after it) and the plugins that perform the effects."""
