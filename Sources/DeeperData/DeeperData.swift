// DeeperData: CSV parsing, rules files, synthetic data and output formats.
