"""The phase labels of a generated volume, defined once for every module that writes or reads
them.

Examples
--------
>>> from generator._shared.phases import BINDER, FIBRE, PHASE_LABELS, PHASES, PORE
>>> PORE, FIBRE, BINDER
(0, 1, 2)
>>> PHASES[BINDER], PHASE_LABELS
('binder', {'0': 'pore', '1': 'fibre', '2': 'binder'})
"""

PORE, FIBRE, BINDER = 0, 1, 2
PHASES = ("pore", "fibre", "binder")
# As stored with every volume: label -> phase name.
PHASE_LABELS = {str(label): name for label, name in enumerate(PHASES)}
