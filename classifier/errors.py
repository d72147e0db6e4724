"""The exceptions the classifier raises: bad input (which becomes an error result), a model that
must not be used, and a setting it cannot run with."""


class InvalidInput(ValueError):
    """A job that cannot be classified. ``code`` is machine-readable, the message is for people."""

    def __init__(self, message: str, code: str = "invalid_input") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ModelIntegrityError(RuntimeError):
    """A model folder that must not be loaded: tampered, incomplete, or not for this code."""


class SettingError(ValueError):
    """An environment variable the classifier cannot run with; the message names it."""
