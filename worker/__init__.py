"""parasift's service: Celery workers on Redis around the classifier.

``celery -A worker worker`` finds the app here. Importing this package does not import the
classifier, so producers need only Celery and redis (see worker.client).
"""

from worker.app import app

__all__ = ["app"]
