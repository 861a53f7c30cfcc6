"""The registers service's routes: the internal look-ups for services, the audit for clients and staff."""
