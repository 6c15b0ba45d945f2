"""Review 2: RealQueue's connection errors must say what is wrong (verified bug)."""

import pytest

from simkafka.brokers import rabbitmq_url
from simkafka.queue import AMQPConnectionError

pytestmark = pytest.mark.rabbitmq


def test_wrong_credentials_are_not_reported_as_a_missing_broker():
    # real_queue.py:114 turns every pika AMQPConnectionError (including
    # ProbableAuthenticationError / ProbableAccessDeniedError) into "RabbitMQ is not
    # reachable at 127.0.0.1:5672 - start it with `make brokers-up`", although the broker is
    # running and answered. Expected: a message that points at the credentials / vhost,
    # not at starting the broker.
    from simkafka.real_queue import RealQueue

    url = rabbitmq_url().replace("guest:guest@", "nope:nope@")
    with pytest.raises(AMQPConnectionError) as info:
        RealQueue(url)
    assert "not reachable" not in str(info.value)
