"""Deterministic synthetic source-directory generator (SPEC section 2), behind ``brw generate``
and the committed demo in ``seeds/``.

``generate_source_dir`` writes a complete, valid source directory -- projects, KPI definitions,
KPI measurements (a growing landing folder of quarterly files plus restatement files), benefits,
benefit plans, financials, milestones, status reports, RAID log and change requests -- for a
portfolio of any size. The same arguments always give byte-identical files: all randomness comes
from ``numpy.random.default_rng`` seeded from ``seed``, nothing depends on today's date, and
every collection is iterated in a fixed order.

With ``stories=True`` the first projects are planted "stories" with fixed ids (see ``STORIES``)
and a deliberately dirty late-feed file is added to ``kpi_measurements/``.

Measurements are generated fully vectorised (one matrix per KPI frequency): ~10M rows as
parquet take well under a minute.

Modules: ``catalogue`` (the data drawn from: file headers, story ids, archetypes, names),
``portfolio`` (random projects, KPIs, benefits), ``stories`` (the planted projects),
``measurements``, ``delivery`` (financials, milestones, status reports, RAID, change requests),
``writers``, ``source_dir`` (the entry point); ``model``, ``months`` and ``cells`` support them.
"""

from pipelines.demo.catalogue import HEADERS, MEASUREMENT_COLUMNS, STORIES
from pipelines.demo.source_dir import generate_source_dir

__all__ = ["generate_source_dir", "HEADERS", "STORIES", "MEASUREMENT_COLUMNS"]
