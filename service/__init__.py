"""The library every front door and the engine share: actions, store, notices, read models."""
