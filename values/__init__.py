"""Value types several services share: neither a service nor kit (which stays domain-free).

    personal_number.py  the Swedish personnummer / samordningsnummer: validation, normal form, age
    files.py            what an uploaded file really is (by its bytes) and the upload limits
    errors.py           DomainError: a broken rule with a stable code, answered as problem+json by kit
"""
