"""The one exception tree of hilbench.

    HilbenchError                    base: every error the harness raises on purpose
    ├── ModelError                   a model file cannot be used
    │   ├── ModelFormatError         not a model / truncated / corrupt file
    │   ├── UnsupportedOpError       an op or option the IR does not support
    │   └── ReferenceMismatchError   the golden interpreter disagrees with LiteRT BUILTIN_REF
    ├── TargetError                  a target cannot be used
    │   ├── TargetConfigError        a target.yaml is missing or invalid
    │   ├── TargetUnavailableError   a tool or board is missing (carries the remedy)
    │   └── ModelTooLargeError       the model does not fit the target's memory
    ├── BuildError                   a compiler/linker command failed
    ├── RunError                     running on a target failed
    │   └── RunTimeoutError          a target hung and was killed at its budget
    ├── ResultsError                 the results store or a report failed
    ├── DatasetError                 a data set is missing, altered or unknown (names the remedy)
    ├── RecipeError                  a compression recipe is invalid (lists the known choices)
    └── ClusterError                 the Ray cluster of a sweep is missing, unreachable or
                                     runs other code than the driver

Messages carry the state and the remedy, and fit on one line where they can: the CLI prints
`error: <message>` and exits non-zero without a traceback.
"""
from __future__ import annotations

__all__ = [
    "HilbenchError",
    "ModelError",
    "ModelFormatError",
    "UnsupportedOpError",
    "ReferenceMismatchError",
    "TargetError",
    "TargetConfigError",
    "TargetUnavailableError",
    "ModelTooLargeError",
    "BuildError",
    "RunError",
    "RunTimeoutError",
    "ResultsError",
    "DatasetError",
    "RecipeError",
    "ClusterError",
]


class HilbenchError(Exception):
    """Base of every error raised on purpose by hilbench."""


class ModelError(HilbenchError):
    """A model file cannot be used."""


class ModelFormatError(ModelError):
    """The file is not a model of the expected format, or it is truncated or corrupt."""


class UnsupportedOpError(ModelError):
    """The model uses an op, a data type or an option that hilbench does not support."""


class ReferenceMismatchError(ModelError):
    """The golden interpreter and LiteRT's reference kernels compute different outputs for
    the model: hilbench would benchmark something other than the model, so the run fails."""


class TargetError(HilbenchError):
    """A target cannot be used."""


class TargetConfigError(TargetError):
    """A target's description (target.yaml) is missing or invalid."""


class TargetUnavailableError(TargetError):
    """A tool or board the target needs is missing; the message says how to get it."""


class ModelTooLargeError(TargetError):
    """The model does not fit the target's memory; the message gives both sizes."""


class BuildError(HilbenchError):
    """A toolchain command failed."""


class RunError(HilbenchError):
    """Running a build on a target failed."""


class RunTimeoutError(RunError):
    """The target did not finish within its budget and was stopped."""


class ResultsError(HilbenchError):
    """The results store or a report could not be written or read."""


class DatasetError(HilbenchError):
    """A data set is missing, altered (checksum) or unknown; the message says how to get it."""


class RecipeError(HilbenchError):
    """A compression recipe is invalid: unknown technique, bad parameter, missing key."""


class ClusterError(HilbenchError):
    """A sweep's Ray cluster cannot be used: Ray is not installed, the head is unreachable, or
    a worker runs another hilbench commit than the driver."""
