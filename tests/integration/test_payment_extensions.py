"""What pooling adds to the payment pipeline is wired by the entry points, not registered at import
(#15 item 5): the API app and the CLI (whose factory the scheduler runs on) hand the pool-quota
recheck and the outbound-lending facts to the units of work they build, in a fresh interpreter
where nothing imported `pooling.service.sweeps` beforehand; a unit of work from a bare factory has
none — no module-level list fills itself behind anyone's back. The checks working end to end are
asserted by test_pool_quota_approval (422 POOL_QUOTA_EXCEEDED through the API) and
test_ordinary_outbound_lending (the cap screened from pooling's facts)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from treasury.clock import FixedClock
from treasury.db.unit_of_work import UnitOfWorkFactory
from treasury.payments import extensions

PROBE = """
import json, sys
assert "pooling.service.sweeps" not in sys.modules
from treasury.settings import Settings
settings = Settings(database_url=sys.argv[1], scheduler="off")
from treasury.api.app import create_app
from treasury import cli
from treasury.payments import extensions
from pooling import approvals, outbound_lending

def wired(factory):
    with factory() as uow:
        found = extensions.of(uow)
        return {
            "quota_check": approvals.check_pool_quota in found.approval_checks,
            "lending_facts": outbound_lending.screening_facts in found.fact_sources,
        }

app = create_app(settings)
seen = {"api": wired(app.state.uow_factory), "cli": wired(cli._uow_factory(settings))}
app.state.engine.dispose()
print(json.dumps(seen))
"""


def test_the_api_and_the_cli_hand_pooling_s_checks_and_facts_to_their_units_of_work(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'probe.db'}"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, url], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    both = {"quota_check": True, "lending_facts": True}
    assert seen == {"api": both, "cli": both}


def test_a_bare_unit_of_work_has_no_extensions(engine: Engine, clock: FixedClock) -> None:
    with UnitOfWorkFactory(engine, clock)() as uow:
        assert extensions.of(uow) == extensions.PaymentExtensions()
