"""The registers service's SQL: raw text() queries, one module per aggregate; functions never commit."""
