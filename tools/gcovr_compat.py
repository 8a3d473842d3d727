#!/usr/bin/python3
"""Runs Debian 12's gcovr 5.2 with function merging that tolerates differing line numbers.

gcovr 5.2 asserts when one function name shows up at two line numbers while merging the reports of
several object files (coroutine clones and lambdas in g++ 12 output do this). gcovr already has the
merge mode for it (MergeOptions.ignore_function_lineno, used internally and exposed as
--merge-mode-functions in gcovr 6), but 5.2 has no flag for it; this wrapper turns it on and otherwise
runs gcovr unchanged, with the same arguments. Line coverage is not affected: only function records
are merged differently.
"""
import sys

import gcovr.merging as merging

_original_merge_function = merging.merge_function


def _merge_function_ignoring_lineno(left, right, options=merging.DEFAULT_MERGE_OPTIONS):
    return _original_merge_function(left, right, merging.MergeOptions(ignore_function_lineno=True))


merging.merge_function = _merge_function_ignoring_lineno

from gcovr.__main__ import main  # noqa: E402  (after the patch, on purpose)

sys.exit(main())
