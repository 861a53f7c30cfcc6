"""The registers service's use cases: each look-up asked, audited and committed; the audit read back."""
