"""The two kinds of failure a step handler can raise on purpose."""


class StepError(Exception):
    """Base: the message is shown to the user as the job's error."""


class TransientError(StepError):
    """Worth another attempt later (timeouts, 5xx, 429, a locked database)."""


class PermanentError(StepError):
    """Retrying cannot help (bad input, refused credentials): fail the job at once."""


class JobCancelled(StepError):
    """Raised by StepContext.raise_if_cancelled() to stop a handler between chunks."""
