"""The two kinds of failure a step handler can raise on purpose."""


class StepError(Exception):
    """Base: the message is shown to the user as the job's error."""


class TransientError(StepError):
    """Worth another attempt later (timeouts, 5xx, 429, a locked database)."""


class PermanentError(StepError):
    """Retrying cannot help (bad input, refused credentials): fail the job at once."""


class StepAbandoned(TransientError):
    """This attempt no longer owns its step (taken over, or no heartbeat for the stale limit).

    Raised by StepContext between chunks so the handler stops instead of running on beside
    another worker; what it did is not recorded as the step's outcome.
    """


class JobCancelled(StepError):
    """Raised by StepContext.raise_if_cancelled() to stop a handler between chunks."""
