"""What a load reports: rows read, loaded and quarantined per file and per source."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FileLoad:
    source_file: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    rows_skipped: int = 0  # mapped inputs: blank rows and rows the mapping's filter leaves out (not read)


@dataclass
class LoadResult:
    source: str
    files: list[FileLoad] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)  # landing files already loaded
    rejected_files: dict[str, str] = field(default_factory=dict)  # landing file -> why it was not read
    moved_to_quarantine: int = 0  # earlier-loaded rows found conflicting with a new file
    table_rows: int = 0  # rows in the raw table after the load

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    @property
    def reasons(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for f in self.files:
            for reason, n in f.reasons.items():
                total[reason] = total.get(reason, 0) + n
        return dict(sorted(total.items()))
