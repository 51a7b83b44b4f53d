"""The per-process page caches are bounded by bytes as well as by entries."""

from core.cache import LRU, weight


def test_big_renderings_push_out_the_least_recently_used_by_bytes():
    lru = LRU(size=100, max_bytes=3 * weight(b"x" * 1000) + 3 * weight("k0"))
    for n in range(3):
        lru.put(f"k{n}", b"x" * 1000)
    assert lru.get("k0") is not None  # k0 is now the most recently used
    lru.put("k3", b"x" * 1000)
    assert set(lru.data) == {"k0", "k2", "k3"}
    assert lru.bytes <= lru.max_bytes


def test_a_value_larger_than_the_budget_is_not_kept_and_replacing_keeps_the_count():
    lru = LRU(size=10, max_bytes=2_000)
    lru.put("page", b"x" * 500)
    lru.put("page", b"y" * 600)
    assert lru.get("page") == b"y" * 600
    assert lru.bytes == weight("page") + weight(b"y" * 600)
    lru.put("huge", b"z" * 5_000)
    assert lru.get("huge") is None and lru.get("page") is not None
    lru.clear()
    assert lru.bytes == 0 and not lru.data


def test_the_entry_bound_still_holds():
    lru = LRU(size=2)
    for n in range(5):
        lru.put(n, (b"body", None))
    assert list(lru.data) == [3, 4]


def test_weight_counts_the_bytes_inside_an_entry():
    headers = [(b"etag", b'"abc"'), (b"content-type", b"text/html")]
    entry = ("all", (1, 2), None, headers, b"x" * 10_000, ("route", ""))
    assert 10_000 < weight(entry) < 11_000


def test_a_cost_the_caller_knows_counts_instead_of_the_weight():
    """The front's entries share their header pairs: it says what each really adds."""
    shared = [(b"content-security-policy", b"x" * 5_000)]
    lru = LRU(size=10, max_bytes=12_000)
    for n in range(4):
        lru.put(n, (shared, b"y" * 2_000), cost=2_600)
    assert len(lru.data) == 4 and lru.bytes == 4 * 2_600
    lru.put(4, (shared, b"y" * 2_000))  # by weight, over 7,000: three go to make room
    assert list(lru.data) == [3, 4]
