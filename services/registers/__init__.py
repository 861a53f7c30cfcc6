"""The registers service: income, benefit and population look-ups for a case, with purpose and audit."""
