"""Pool quota maths: the worked example of regulation.md §1.8 and rules 6, 7, 11–13 of §1.9."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pooling.quotas import (
    EquityShare,
    Holding,
    Quota,
    QuotaBook,
    QuotaKind,
    Side,
    max_at_weight,
    outbound_lending_quota,
    outbound_lending_weight,
    pool_quotas,
)

M = Decimal(1_000_000)  # amounts in the example are CNY millions


def test_worked_example_outbound_lending_quota() -> None:
    quota = outbound_lending_quota(
        host_equity=Decimal(20_000) * M,
        members=[
            EquityShare(Decimal(8_000) * M, Decimal(1)),
            EquityShare(Decimal(5_000) * M, Decimal("0.6")),
        ],
        leverage=Decimal(1),
        coefficient=Decimal("0.8"),
    )
    assert quota == Decimal(24_800) * M


def test_worked_example_balance_and_largest_new_loans() -> None:
    usd = outbound_lending_weight(foreign_currency=True, currency_factor=Decimal("0.5"))
    cny = outbound_lending_weight(foreign_currency=False, currency_factor=Decimal("0.5"))
    used = Decimal(10_000) * cny + Decimal(6_000) * usd
    assert used == Decimal(19_000)
    headroom = Decimal(24_800) - used
    assert headroom == Decimal(5_800)
    assert max_at_weight(headroom, usd).quantize(Decimal("0.1")) == Decimal("3866.7")
    assert max_at_weight(headroom, cny) == Decimal(5_800)


def _ol_book(limit: int, weight: str = "1") -> QuotaBook:
    quota = Quota(QuotaKind.OUTBOUND_LENDING, Decimal(limit), Side.POOL_LENDS, Decimal(weight))
    return QuotaBook.single(quotas=(quota,), rate=Decimal(1), exponent=2)


def test_rule_6_equal_to_the_quota_is_allowed_one_fen_more_is_not() -> None:
    book = _ol_book(1_000)
    assert book.allows("m", -100_000) == []  # lends exactly 1,000.00
    assert book.allows("m", -100_001) == [QuotaKind.OUTBOUND_LENDING]


def test_rule_7_a_usd_loan_weighs_one_and_a_half() -> None:
    book = _ol_book(1_500, "1.5")
    effects = book.apply("m", -100_000)  # the pool lends 1,000.00
    assert effects[QuotaKind.OUTBOUND_LENDING] == Decimal(1_500)
    assert book.allows("m", -1) == [QuotaKind.OUTBOUND_LENDING]


def test_rule_11_and_12_foreign_debt_draw_beyond_quota_then_repayment_restores() -> None:
    quota = Quota(QuotaKind.FOREIGN_DEBT, Decimal(300), Side.POOL_BORROWS, Decimal("1.5"))
    book = QuotaBook.single(quotas=(quota,), rate=Decimal(1), exponent=2)
    book.apply("offshore", 20_000)  # the offshore member lends 200.00: 300 used
    assert book.used(QuotaKind.FOREIGN_DEBT) == Decimal(300)
    assert book.allows("offshore", 1) == [QuotaKind.FOREIGN_DEBT]
    book.apply("offshore", -5_000)  # the pool repays 50.00
    assert book.used(QuotaKind.FOREIGN_DEBT) == Decimal(225)
    assert book.allows("offshore", 5_000) == []
    assert book.largest("offshore", 9_999_999) == 5_000


def test_rule_13_rmb_279_net_inflow() -> None:
    billion = 100_000_000_000  # CNY 1bn in fen
    quota = Quota(QuotaKind.NET_INFLOW, Decimal("1.2e9"), Side.NET_IN, Decimal(1))
    book = QuotaBook.single(
        quotas=(quota,), rate=Decimal(1), exponent=2, positions={"hk": 9 * billion // 10}
    )
    assert book.allows("hk", 5 * billion // 10) == [QuotaKind.NET_INFLOW]
    book.apply("hk", -3 * billion // 10)  # an outflow of 0.3bn
    assert book.allows("hk", 5 * billion // 10) == []
    book.apply("hk", 5 * billion // 10)
    assert book.used(QuotaKind.NET_INFLOW) == Decimal("1.1e9")


def test_a_repayment_is_allowed_even_when_a_parameter_cut_left_the_pool_over_its_quota() -> None:
    book = QuotaBook.single(
        quotas=(Quota(QuotaKind.OUTBOUND_LENDING, Decimal(100), Side.POOL_LENDS, Decimal(1)),),
        rate=Decimal(1),
        exponent=2,
        positions={"m": -50_000},  # 500 lent, quota 100
    )
    assert book.allows("m", 10_000) == []  # repaying 100 is fine
    assert book.allows("m", -1) == [QuotaKind.OUTBOUND_LENDING]
    assert book.largest("m", -10_000) == 0


def test_pool_quotas_of_an_integrated_pool_from_parameters() -> None:
    parameters = {
        "pool251.ol_leverage": Decimal(1),
        "pool251.ol_coeff": Decimal("0.8"),
        "pool251.ccy_factor": Decimal("0.5"),
        "pool251.fd_leverage": Decimal(2),
        "pool251.fd_param": Decimal("1.75"),
        "cbf.term_factor.short": Decimal("1.5"),
        "cbf.type_factor.on_balance_sheet": Decimal(1),
        "cbf.fx_factor": Decimal("0.5"),
    }
    ol, fd = pool_quotas(
        regime="integrated_251",
        host_equity=Decimal(100),
        host_is_finance_company=False,
        concentration=[EquityShare(Decimal(50), Decimal("0.5"))],
        foreign_debt=[EquityShare(Decimal(50), Decimal(1))],
        pooled=[],
        parameters=parameters,
    )
    # (100 + 25) × 0.8; a CNY loan weighs 1, an FX loan 1 + f_ccy
    assert (ol.limit, ol.weight, ol.fx_weight) == (Decimal(100), Decimal(1), Decimal("1.5"))
    # (100 + 50) × 2 × 1.75; short-term debt 1.5, FX adds 0.5
    assert (fd.limit, fd.weight, fd.fx_weight) == (Decimal(525), Decimal("1.5"), Decimal(2))
    finance_host = pool_quotas(
        regime="integrated_251",
        host_equity=Decimal(100),
        host_is_finance_company=True,
        concentration=[],
        foreign_debt=[],
        pooled=[],
        parameters=parameters,
    )
    assert finance_host[0].limit == 0  # rule 8


def test_rmb_279_net_outflow_only_when_k_out_is_set() -> None:
    base = {"pool279.k_in": Decimal("0.5"), "pool279.k_out": None}
    pooled = [EquityShare(Decimal(1000), Decimal("0.6"))]
    common = {
        "regime": "rmb_279",
        "host_equity": Decimal(0),
        "host_is_finance_company": False,
        "concentration": [],
        "foreign_debt": [],
        "pooled": pooled,
    }
    (inflow,) = pool_quotas(parameters=base, **common)  # type: ignore[arg-type]
    assert inflow.limit == Decimal(300)
    both = pool_quotas(parameters={**base, "pool279.k_out": Decimal("0.2")}, **common)  # type: ignore[arg-type]
    assert [q.kind for q in both] == [QuotaKind.NET_INFLOW, QuotaKind.NET_OUTFLOW]
    assert both[1].limit == Decimal(120)


@settings(max_examples=150, deadline=None)
@given(
    limits=st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)),
    moves=st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(-500_000, 500_000)), max_size=40
    ),
)
def test_no_sequence_of_capped_moves_exceeds_a_quota(
    limits: tuple[int, int], moves: list[tuple[str, int]]
) -> None:
    book = QuotaBook.single(
        quotas=(
            Quota(QuotaKind.OUTBOUND_LENDING, Decimal(limits[0]), Side.POOL_LENDS, Decimal("1.5")),
            Quota(QuotaKind.FOREIGN_DEBT, Decimal(limits[1]), Side.POOL_BORROWS, Decimal(2)),
        ),
        rate=Decimal("7.1"),
        exponent=2,
    )
    for member, change in moves:
        if change == 0:
            continue
        allowed = book.largest(member, change)
        assert abs(allowed) <= abs(change)
        assert allowed == 0 or (allowed > 0) == (change > 0)
        book.apply(member, allowed)
        for quota in book.quotas:
            assert book.used(quota.kind) <= quota.limit


def test_worked_example_1_8_across_two_currencies_of_one_filing() -> None:
    ol = Quota(
        QuotaKind.OUTBOUND_LENDING, Decimal(24_800), Side.POOL_LENDS, Decimal(1), Decimal("1.5")
    )
    book = QuotaBook(
        quotas=(ol,),
        holdings={
            "CNY": Holding("CNY", Decimal(1), 2),
            "USD": Holding("USD", Decimal("7.5"), 2),
        },
        home="USD",
        positions={("CNY", "hk"): -1_000_000, ("USD", "hk"): -80_000},  # 10,000 and USD 800
    )
    assert book.used(QuotaKind.OUTBOUND_LENDING) == Decimal(19_000)
    assert book.largest("hk", -1_000_000) == -51_555  # USD 515.55 = CNY 3,866.63 at 1.5
    book.apply("hk", -51_555)
    assert book.largest("hk", -10_000, "CNY") == -6  # 0.06 left for a CNY loan


@settings(max_examples=150, deadline=None)
@given(
    limits=st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)),
    moves=st.lists(
        st.tuples(
            st.sampled_from(["CNY", "USD"]),
            st.sampled_from(["a", "b"]),
            st.integers(-500_000, 500_000),
        ),
        max_size=40,
    ),
)
def test_no_sequence_of_moves_in_two_currencies_exceeds_the_shared_quota(
    limits: tuple[int, int], moves: list[tuple[str, str, int]]
) -> None:
    book = QuotaBook(
        quotas=(
            Quota(
                QuotaKind.OUTBOUND_LENDING,
                Decimal(limits[0]),
                Side.POOL_LENDS,
                Decimal(1),
                Decimal("1.5"),
            ),
            Quota(
                QuotaKind.FOREIGN_DEBT,
                Decimal(limits[1]),
                Side.POOL_BORROWS,
                Decimal("1.5"),
                Decimal(2),
            ),
        ),
        holdings={"CNY": Holding("CNY", Decimal(1), 2), "USD": Holding("USD", Decimal("7.1"), 2)},
        home="CNY",
    )
    for currency, member, change in moves:
        if change == 0:
            continue
        allowed = book.largest(member, change, currency)
        book.apply(member, allowed, currency)
        for quota in book.quotas:
            assert book.used(quota.kind) <= quota.limit
            assert book.used(quota.kind) == sum(
                (
                    quota.term(book.cny(minor, key[0]), foreign=key[0] == "USD")
                    for key, minor in book.positions.items()
                ),
                Decimal(0),
            )
