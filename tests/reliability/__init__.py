"""The bad-input battery: every command and the window's start-up against damaged state and hostile input.

One file per area, each owned by the part of the program it exercises:

    test_runtime.py        classify, stream, bench and the window's capture: non-finite weights and
                           scores, window options, output paths, settings numbers, unreadable,
                           narrow and damaged videos
    test_evaluation.py     eval: damaged history databases, duplicates in annotation files,
                           unusable data folders, full disks, interrupted and concurrent runs
    test_evaluate_tab.py   the window's Evaluate tab against a damaged history or data folder
    test_models.py         models: impostor files, imports under zoo names, unwritable model
                           folders, stalled and dropping download servers
    test_batch.py          batch classification: damaged inputs, a damaged or full results disk

Every case asserts the same contract, as a user meets it:
  * the CLI exits 1 for bad input or failed work, 2 for a bad option, 130 when interrupted,
    with ONE line on stderr and no traceback (`tests.helpers.cli.assert_one_line_error`);
  * nothing half-written, nothing lost (results already computed stay; a damaged file is moved
    aside, never deleted), nothing wrong installed or reported (no NaN shown as a score);
  * real parts only: the CLI in a subprocess, real videos, real SQLite files, a real HTTP server
    on 127.0.0.1, real read-only and full filesystems where the test can make them (skipped with
    the reason otherwise).

The battery is part of the normal suite (`python -m pytest`); on its own:
`python -m pytest tests/reliability`. docs/reliability.md lists what the program promises
and the battery's figures.
"""
