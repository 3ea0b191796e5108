"""Private bottom layer: what several parts of the generator use. Imports nothing above it.

:mod:`~generator._shared.phases` (phase labels), :mod:`~generator._shared.progress` (progress
lines), :mod:`~generator._shared.threads` (thread pacing on a busy machine),
:mod:`~generator._shared.guards` (memory and grid checks before heavy work),
:mod:`~generator._shared.model_version` (identity of the sample-shaping code),
:mod:`~generator._shared.provenance` and :mod:`~generator._shared.hdf5` (what every file records,
and checked HDF5 reads), :mod:`~generator._shared.targets` (the one rule of what a command may
write or replace, and atomic writes), :mod:`~generator._shared.formats`,
:mod:`~generator._shared.version`, :mod:`~generator._shared.lazy` (package indexes) and
:mod:`~generator._shared.edt_kernels` (the capped distance transform that the binder and the
pore sizes share).
"""
