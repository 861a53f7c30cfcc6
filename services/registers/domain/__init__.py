"""The registers service's pure rules: what a look-up may ask, what its audit row says, who may read which rows."""
