"""The Celery app. It is configured from worker.config and never imports the classifier, so
producers can send jobs with it without the model or scikit-learn installed; the tasks module
(which does import the classifier) is only loaded by workers, through ``include``."""

from __future__ import annotations

from typing import Any

from celery import Celery

from worker.config import Config

# kombu's Redis transports: over TCP, TLS, a Unix socket, or found through Sentinel.
REDIS_BROKERS = ("redis://", "rediss://", "redis+socket://", "sentinel://")


def transport_options(config: Config) -> dict[str, Any]:
    """Redis broker options: how soon a job held by a dead worker is delivered again."""
    if not config.broker_url.startswith(REDIS_BROKERS):
        return {}
    return {
        "visibility_timeout": config.visibility_timeout,
        # kombu only sweeps for expired unacked jobs every interval * throttle seconds
        # (100 s by default); keep that well under the visibility timeout.
        "unacked_restore_interval": max(1, min(10, config.visibility_timeout // 4)),
        "unacked_restore_throttle": 1,
        "socket_connect_timeout": 5,
        "socket_keepalive": True,
        "health_check_interval": 10,
    }


def celery_settings(config: Config) -> dict[str, Any]:
    return {
        "broker_url": config.broker_url,
        "result_backend": config.result_backend,
        # JSON only, both ways: a pickle message is refused before anything in it is unpickled.
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "task_serializer": "json",
        "result_serializer": "json",
        "task_default_queue": config.queue,
        # A job is acknowledged only after it ran, so a job whose worker dies is delivered again;
        # redeliveries are made harmless by worker.publish, which publishes once per delivery id.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        # Messages that are no task call get an error result rather than a log line or a crash.
        "worker_consumer": "worker.consumer:Consumer",
        "worker_deduplicate_successful_tasks": True,
        "worker_prefetch_multiplier": config.prefetch_multiplier,
        "worker_concurrency": config.concurrency,
        # Flower shows a task from the moment it is sent.
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "task_time_limit": config.task_time_limit,
        # Celery's prefork pool only arms the hard limit once the soft one has fired.
        "task_soft_time_limit": (config.task_soft_time_limit
                                 if config.task_soft_time_limit < config.task_time_limit else None),
        "result_expires": config.result_expires,
        # Redis may be down when a worker starts or restart under it: wait and reconnect.
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "broker_transport_options": transport_options(config),
        **({"broker_transport": "worker.transport:Transport"}
           if config.broker_url.startswith(("redis://", "rediss://")) else {}),
        "result_backend_always_retry": True,
        "result_backend_max_retries": 20,
        "redis_socket_keepalive": True,
        "redis_retry_on_timeout": True,
    }


def configure(app: Celery, config: Config) -> Celery:
    app.conf.update(celery_settings(config))
    return app


def make_app(config: Config | None = None) -> Celery:
    return configure(Celery("parasift", include=["worker.tasks"]), config or Config.from_env())


app = make_app()
