"""/readyz means "can serve": MongoDB gates it, Kafka is only reported (services/kernel/web/readiness.py)."""

from services.kernel.web.readiness import readiness


def test_kafka_down_keeps_the_pod_in_rotation_and_says_so():
    status, body = readiness({"mongodb": "ok", "kafka": "unreachable: KafkaConnectionError()"})
    assert status == 200
    assert body == {"status": "ok", "mongodb": "ok", "kafka": "unreachable: KafkaConnectionError()"}


def test_mongodb_down_takes_the_pod_out_of_rotation():
    status, body = readiness({"mongodb": "unreachable: ServerSelectionTimeoutError()", "kafka": "ok"})
    assert status == 503 and body["status"] == "unavailable" and body["mongodb"].startswith("unreachable")


def test_read_models_still_warming_keep_the_pod_out_of_rotation():
    status, body = readiness({"mongodb": "ok", "kafka": "ok", "read_models": "warming"})
    assert status == 503 and body["read_models"] == "warming"
    assert readiness({"mongodb": "ok", "kafka": "ok", "read_models": "ok"})[0] == 200
