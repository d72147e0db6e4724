"""parasift's service: Celery workers on Redis around the classifier.

``celery -A worker worker`` finds the app here. Importing this package does not import the
classifier, so producers need only Celery and redis (see worker.client).
"""

from worker.config import ConfigError

try:
    from worker.app import app
except ConfigError as error:
    # The app is made from the environment when the package is imported; a setting it cannot
    # run with stops `celery -A worker worker` and `parasift` at once, in one line.
    raise SystemExit(f"parasift: {error}") from None

__all__ = ["app"]
