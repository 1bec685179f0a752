"""``make run`` starts the exchange's mapper beside the services when the stack runs the exchange, not otherwise."""

from services.kernel.operations import launcher


def test_the_exchange_mapper_runs_with_the_stack_s_exchange(monkeypatch):
    monkeypatch.delenv("YBSS_STACK_EXCHANGE", raising=False)
    assert launcher._workers()["exchange"][-2:] == ["exchange", "run"]
    monkeypatch.setenv("YBSS_STACK_EXCHANGE", "0")
    assert launcher._workers() == {}
