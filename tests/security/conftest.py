"""The adversarial suite (issue 16): each test plays an attacker with a collector's, an agency's or a neighbouring
county's token, reproduces one class of finding and asserts it is closed. Most run against the real stack."""
