"""How long validating a batch of submissions takes (schemas built once, one batch).

    .venv/bin/python -m benchmarks.validate_batch [--files 1000]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

from samples.corpus import CorpusWriter
from samples.figures import sample_figures
from schemas.catalogue import get_catalogue
from schemas.departments import get_registry
from schemas.round import get_round
from schemas.rules import get_schemas
from schemas.validate import validate
from transforms import Observation, ParseStatus, ReadResult, read_file


def _with_faults(observations: list[Observation], sha: str) -> list[Observation]:
    """A negative count, a text cell and a 100× jump: the failure paths cost time too."""
    faulty = [dataclasses.replace(o, file_sha256=sha) for o in observations]
    faulty[0] = dataclasses.replace(faulty[0], value=-5.0, raw_value="-5")
    faulty[1] = dataclasses.replace(faulty[1], value=None, raw_value="见附件",
                                    parse_status=ParseStatus.UNPARSED)
    faulty[-1] = dataclasses.replace(faulty[-1], value=(faulty[-1].value or 1) * 100)
    return faulty


def synthetic_batch(files: int, departments: tuple[str, ...]) -> list[ReadResult]:
    """`files` read submissions, cycling through the departments' filled templates; every
    tenth file carries three faults."""
    catalogue, registry, parameters = get_catalogue(), get_registry(), get_round()
    with tempfile.TemporaryDirectory() as folder:
        writer = CorpusWriter(catalogue, registry, parameters,
                              sample_figures(catalogue, parameters.round.years), Path(folder))
        templates = [read_file(writer.filled_template(code).path) for code in departments]
    batch = []
    for number in range(files):
        template = templates[number % len(templates)]
        sha = f"{number:064x}"
        observations = (_with_faults(template.observations, sha) if number % 10 == 0 else
                        [dataclasses.replace(o, file_sha256=sha) for o in template.observations])
        batch.append(dataclasses.replace(template, file_name=f"{number}.xlsx", file_sha256=sha,
                                         observations=observations))
    return batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--departments", default="edu,youth_league",
                        help="comma-separated; the default two own 12 indicators (60 values)")
    args = parser.parse_args()
    batch = synthetic_batch(args.files, tuple(args.departments.split(",")))
    values = sum(len(r.observations) for r in batch)
    started = time.perf_counter()
    get_schemas()
    built = time.perf_counter() - started
    started = time.perf_counter()
    result = validate(batch)
    took = time.perf_counter() - started
    print(f"schemas built once in {built * 1000:.0f} ms")
    print(f"validated {args.files:,} submissions ({values:,} values) in {took:.2f} s "
          f"= {took / args.files * 1000:.2f} ms per file; {len(result.issues)} issues")


if __name__ == "__main__":
    main()
