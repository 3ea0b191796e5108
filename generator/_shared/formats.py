"""The ``format`` attribute of each kind of HDF5 file this project writes."""

SAMPLE_FORMAT = "gdl-sample"
DATASET_FORMAT = "gdl-dataset"
