"""The phase labels of a generated volume, defined once for every module that writes or reads
them."""

PORE, FIBRE, BINDER = 0, 1, 2
PHASES = ("pore", "fibre", "binder")
# As stored with every volume: label -> phase name.
PHASE_LABELS = {str(label): name for label, name in enumerate(PHASES)}
