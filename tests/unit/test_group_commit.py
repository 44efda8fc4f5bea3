"""Group commit: when requests share a flush, and what each waiter gets back."""

from __future__ import annotations

import asyncio

import pytest
from pymongo.errors import ConnectionFailure

from runtime.group_commit import GroupCommit, Pending


class Recorder:
    """A flush that answers each request with itself doubled, after ``gate`` opens."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def flush(self, batch: list[Pending[int, int]]) -> None:
        self.batches.append([p.request for p in batch])
        await self.gate.wait()
        for pending in batch:
            pending.resolve(2 * pending.request)


async def test_a_lone_request_goes_out_on_the_next_turn_of_the_loop_without_a_timer() -> None:
    recorder = Recorder()
    group: GroupCommit[int, int] = GroupCommit(recorder.flush)

    waiter = asyncio.create_task(group.submit(1))
    await asyncio.sleep(0)  # the waiter queues its request and starts a flush
    await asyncio.sleep(0)  # the flush runs

    assert recorder.batches == [[1]]
    assert await waiter == 2


async def test_requests_made_together_share_one_flush_and_each_gets_its_own_answer() -> None:
    recorder = Recorder()
    group: GroupCommit[int, int] = GroupCommit(recorder.flush)

    answers = await asyncio.gather(*(group.submit(n) for n in range(5)))

    assert recorder.batches == [[0, 1, 2, 3, 4]]
    assert answers == [0, 2, 4, 6, 8]


async def test_requests_arriving_while_a_batch_is_in_flight_form_the_next_batch() -> None:
    recorder = Recorder()
    recorder.gate.clear()
    group: GroupCommit[int, int] = GroupCommit(recorder.flush)
    first = asyncio.gather(*(group.submit(n) for n in (1, 2)))
    await asyncio.sleep(0.01)

    later = asyncio.gather(*(group.submit(n) for n in (3, 4, 5)))
    await asyncio.sleep(0.01)
    assert recorder.batches == [[1, 2]]  # one batch in flight at a time
    recorder.gate.set()

    assert (await first, await later) == ([2, 4], [6, 8, 10])
    assert recorder.batches == [[1, 2], [3, 4, 5]]


async def test_requests_with_the_same_key_never_share_a_batch_and_keep_their_order() -> None:
    recorder = Recorder()
    group: GroupCommit[int, int] = GroupCommit(recorder.flush, key=lambda n: n % 10)

    await asyncio.gather(*(group.submit(n) for n in (1, 11, 2, 21, 3)))

    assert recorder.batches == [[1, 2, 3], [11], [21]]


async def test_a_batch_holds_at_most_cap_requests_and_its_size_is_observed() -> None:
    recorder = Recorder()
    sizes: list[float] = []
    group: GroupCommit[int, int] = GroupCommit(recorder.flush, cap=3, observe=sizes.append)

    await asyncio.gather(*(group.submit(n) for n in range(7)))

    assert recorder.batches == [[0, 1, 2], [3, 4, 5], [6]]
    assert sizes == [3, 3, 1]


async def test_what_the_flush_raises_reaches_every_waiter_it_left_unanswered() -> None:
    async def flush(batch: list[Pending[int, int]]) -> None:
        batch[0].resolve(0)
        raise ConnectionFailure("store unreachable")

    group: GroupCommit[int, int] = GroupCommit(flush)
    answers = await asyncio.gather(*(group.submit(n) for n in range(3)), return_exceptions=True)

    assert answers[0] == 0
    assert all(isinstance(a, ConnectionFailure) for a in answers[1:])
    assert await group.submit(9) == 0  # the next batch is flushed as usual


async def test_a_flush_that_forgets_a_request_fails_it_instead_of_leaving_it_waiting() -> None:
    async def flush(batch: list[Pending[int, int]]) -> None:
        batch[0].resolve(0)

    group: GroupCommit[int, int] = GroupCommit(flush)
    answers = await asyncio.gather(group.submit(0), group.submit(1), return_exceptions=True)

    assert answers[0] == 0
    assert isinstance(answers[1], RuntimeError)


async def test_a_request_whose_waiter_gave_up_before_the_flush_is_not_sent() -> None:
    recorder = Recorder()
    recorder.gate.clear()
    group: GroupCommit[int, int] = GroupCommit(recorder.flush)
    first = asyncio.create_task(group.submit(1))
    await asyncio.sleep(0.01)
    abandoned = asyncio.create_task(group.submit(2))
    kept = asyncio.create_task(group.submit(3))
    await asyncio.sleep(0.01)

    abandoned.cancel()
    recorder.gate.set()

    assert (await first, await kept) == (2, 6)
    with pytest.raises(asyncio.CancelledError):
        await abandoned
    assert recorder.batches == [[1], [3]]


async def test_patient_requests_spread_over_a_few_milliseconds_share_one_flush() -> None:
    recorder = Recorder()
    group: GroupCommit[int, int] = GroupCommit(recorder.flush, linger_s=0.05)

    async def later(n: int, after_s: float) -> int:
        await asyncio.sleep(after_s)
        return await group.submit(n, patient=True)

    answers = await asyncio.gather(later(1, 0), later(2, 0.01), later(3, 0.02))

    assert recorder.batches == [[1, 2, 3]]
    assert answers == [2, 4, 6]


async def test_an_impatient_request_ends_the_linger_and_takes_the_patient_ones_along() -> None:
    recorder = Recorder()
    group: GroupCommit[int, int] = GroupCommit(recorder.flush, linger_s=60)
    patient = asyncio.create_task(group.submit(1, patient=True))
    await asyncio.sleep(0.01)
    assert recorder.batches == []  # still lingering

    answer = await asyncio.wait_for(group.submit(2), 1)

    assert (answer, await patient) == (4, 2)
    assert recorder.batches == [[1, 2]]


async def test_an_impatient_request_alone_never_lingers() -> None:
    recorder = Recorder()
    group: GroupCommit[int, int] = GroupCommit(recorder.flush, linger_s=60)

    assert await asyncio.wait_for(group.submit(1), 1) == 2


async def test_a_linger_does_not_hold_a_batch_that_is_full() -> None:
    recorder = Recorder()
    group: GroupCommit[int, int] = GroupCommit(recorder.flush, cap=2, linger_s=60)
    requests = [asyncio.create_task(group.submit(n, patient=True)) for n in range(2)]

    assert await asyncio.wait_for(asyncio.gather(*requests), 1) == [0, 2]
    assert recorder.batches == [[0, 1]]


async def test_requests_lingering_when_the_flusher_is_cancelled_are_cancelled_too() -> None:
    recorder = Recorder()
    group: GroupCommit[int, int] = GroupCommit(recorder.flush, linger_s=60)
    waiter = asyncio.create_task(group.submit(1, patient=True))
    await asyncio.sleep(0.01)

    for task in asyncio.all_tasks():
        if task.get_name() == "group-commit":
            task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert recorder.batches == []
