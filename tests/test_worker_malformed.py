"""Messages on the queue that are no task call, as a producer in another language may write
them: each is answered with an error result and a dead letter, and the worker goes on."""

from __future__ import annotations

import hashlib
import json

import pytest

from worker.testing import Service, raw_message, unique, variants

pytestmark = pytest.mark.integration

JOB = {"text": "A sentence of an article.\n\nAnother one."}
EMBED = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}
# body, message options, the error code it gets
MALFORMED = {
    "the job itself as the body": (json.dumps(JOB), {}, "malformed_message"),
    "no embed in the body": (json.dumps([[JOB], {}]), {}, "malformed_message"),
    "a body that is not JSON": ('[[{"text": "x"}], {}, {', {}, "malformed_message"),
    "a content type other than JSON": (json.dumps([[JOB], {}, EMBED]),
                                       {"content_type": "text/plain"}, "malformed_message"),
    "an unknown task": (json.dumps([[JOB], {}, EMBED]), {"task": "parasift.clasify"},
                        "malformed_message"),
    "keyword arguments null (celery-node's default)": (json.dumps([[JOB], None, EMBED]), {},
                                                        "wrong_type"),
    "arguments null": (json.dumps([None, {}, EMBED]), {}, "wrong_type"),
}


def test_messages_that_are_no_task_call_are_answered_and_the_worker_goes_on(
        own_service: Service) -> None:
    worker = own_service.worker("guarded", concurrency=1)
    sent = {unique("malformed"): case for case in MALFORMED.values()}
    for task_id, (body, options, _) in sent.items():
        own_service.redis.lpush("celery", raw_message(body.encode(), task_id, **options))
    # Unreadable to kombu's transport (worker.transport): the body, or the whole item.
    not_base64, no_tag = unique("not-base64"), unique("no-delivery-tag")
    envelope = json.loads(raw_message(b"[]", not_base64))
    own_service.redis.lpush("celery", json.dumps({**envelope, "body": "not base64 !!"}))
    envelope = json.loads(raw_message(json.dumps([[JOB], {}, EMBED]).encode(), no_tag))
    del envelope["properties"]["delivery_tag"]
    own_service.redis.lpush("celery", json.dumps(envelope))
    own_service.redis.lpush("celery", "not JSON at all")  # skipped: nothing in it to answer
    sent.update({not_base64: (None, {}, "malformed_message"),
                 no_tag: (None, {}, "malformed_message")})
    no_id_body = json.dumps([[JOB], {}, EMBED]).encode()
    own_service.redis.lpush("celery", raw_message(no_id_body, "unused", with_id=False))
    by_body = hashlib.sha256(no_id_body).hexdigest()  # a message without an id is keyed so
    good = variants(1, unique("after-malformed"))[0]
    good_body = json.dumps([[good], {}, EMBED]).encode()
    own_service.redis.lpush("celery", raw_message(good_body, unique("good")))

    assert own_service.collect({good["id"]})[good["id"]], "the worker must go on serving"
    dead = own_service.collect_tasks({*sent, by_body}, own_service.config.dead_stream)
    assert {task_id: dead[task_id].result["error"]["code"] for task_id in sent} == {
        task_id: code for task_id, (_, _, code) in sent.items()}
    assert dead[by_body].result["error"]["code"] == "malformed_message"
    assert dead[by_body].job == no_id_body
    results = {e.task_id for e in own_service.entries()}
    assert {*sent, by_body} <= results, "every error result is on the results stream too"
    assert own_service.drained()
    assert worker.poll() is None
