"""The engine: carries out what follows an action (referral, notices, the matter runs)."""
