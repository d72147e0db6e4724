"""The one exception the classifier raises for bad input; it becomes an error result."""


class InvalidInput(ValueError):
    """A job that cannot be classified. ``code`` is machine-readable, the message is for people."""

    def __init__(self, message: str, code: str = "invalid_input") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
