"""Demo data per service, seeded through the gateway by `make run` (each module: async seed(gateway, idp))."""
